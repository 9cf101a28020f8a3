package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.HeavyImages;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7, item 3, end to end: a worker with two slots and a memory budget that holds one heavy image but not two
 * gets two heavy images at once. The second waits for the first to give its memory back instead of decoding beside
 * it, and both end {@code processed}. The proof that it waited is the worker's own count on its liveness endpoint.
 *
 * <p>A worker of its own (its own table, queues and bucket on the shared emulators), so that its budget and its
 * count are this test's alone.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WorkerMemoryBudgetTest {

  /**
   * 4000x3000 progressive JPEGs: estimated 9 bytes per pixel while decoding (the 3-byte raster, and libjpeg's
   * coefficients of a multi-scan file, 2 bytes per sample of the 3 components), 108 MB each, well under the 512 MiB
   * per-image limit. Progressive, so that each takes a second or more to decode: the second job reaches the budget
   * while the first still holds it.
   */
  private static final int WIDTH = 4000;
  private static final int HEIGHT = 3000;
  private static final long ESTIMATE = 9L * WIDTH * HEIGHT;
  /** One image fits, two do not. */
  private static final long BUDGET = 160_000_000L;

  private final TestStack shared = TestStack.get();

  @Test
  void twoHeavyImagesOnTwoSlotsTakeTurnsForTheBudgetAndBothAreProcessed() throws Exception {
    assertThat(ESTIMATE).isLessThanOrEqualTo(BUDGET).isGreaterThan(BUDGET / 2);
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (ImageryStack stack = ImageryStack.start(shared.servers, Map.of(), Map.of(
        "PORT", "0",
        "IMAGERY_TABLE", "imagery-memory-" + run,
        "IMAGERY_QUEUE", "imagery-memory-" + run,
        "IMAGERY_DEAD_LETTER_QUEUE", "imagery-memory-dlq-" + run,
        "IMAGERY_BUCKET", "imagery-memory-" + run,
        "IMAGERY_WORKER_CONCURRENCY", "2",
        "IMAGERY_WORKER_MEMORY_BUDGET_BYTES", Long.toString(BUDGET),
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0"))) {
      ApiClient api = new ApiClient("http://127.0.0.1:" + stack.apiPort());
      ApiClient worker = new ApiClient("http://127.0.0.1:" + stack.workerManagementPort());
      JsonObject idle = worker.get("/health/live").json();
      assertThat(idle.getLong("memoryBudgetBytes")).isEqualTo(BUDGET);
      assertThat(idle.getLong("memoryReservedBytes")).isZero();
      assertThat(idle.getLong("jobsAdmittedAfterWaitingForMemory")).isZero();

      List<byte[]> images = List.of(HeavyImages.jpeg(WIDTH, HEIGHT, true, 1),
          HeavyImages.jpeg(WIDTH, HEIGHT, true, 2));
      List<String> ids = List.of(api.createImage(), api.createImage());
      // Side by side, so that both jobs reach the worker's two slots together.
      List<CompletableFuture<ApiClient.Response>> uploads = List.of(
          CompletableFuture.supplyAsync(() -> api.upload(ids.get(0), images.get(0))),
          CompletableFuture.supplyAsync(() -> api.upload(ids.get(1), images.get(1))));
      for (CompletableFuture<ApiClient.Response> upload : uploads) {
        ApiClient.Response answer = upload.get(60, TimeUnit.SECONDS);
        assertThat(answer.status()).as(answer.toString()).isEqualTo(202);
      }

      for (String id : ids) {
        JsonObject done = api.awaitFinal(id);
        assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");
        assertThat(done.getJsonObject("result").getInteger("width")).isEqualTo(WIDTH);
        assertThat(done.getJsonObject("result").getInteger("height")).isEqualTo(HEIGHT);
      }
      JsonObject after = worker.get("/health/live").json();
      assertThat(after.getLong("jobsAdmittedAfterWaitingForMemory"))
          .as("the second job waited for the first one's memory: %s", after.encode()).isEqualTo(1);
      assertThat(after.getLong("memoryReservedBytes")).as("both gave their memory back").isZero();
      assertThat(after.getInteger("jobsHoldingMemory")).isZero();
      assertThat(after.getInteger("jobsWaitingForMemory")).isZero();
      assertThat(after.getString("status")).isEqualTo("UP");
    }
  }
}
