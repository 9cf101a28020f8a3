package dev.imagery.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.HeavyImages;
import dev.imagery.local.testing.Poll;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7, item 3: the memory budget keeps a small worker alive under heavy images. A worker JVM with a 192 MiB
 * heap and four slots, run as in production ({@code -XX:+ExitOnOutOfMemoryError}, as the worker's container
 * image does), gets four heavy images at once, twice:
 * <ol>
 *   <li>with the budget out of the way (1 TiB): the four decode side by side, the heap runs out and the process
 *       exits, which is what the budget is for (and the proof that these images are heavy enough for this heap);
 *   <li>with the default budget (two thirds of the heap): the images take turns for the memory, the worker stays
 *       up, and all four end {@code processed}. These are four fresh images (the queue is purged first): the ones
 *       the first worker died holding have an attempt that never reported back, so any worker runs them one at a
 *       time ({@code SoloGate}), which would hide the budget.
 * </ol>
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MemoryBudgetSurvivalTest {

  private static final String HEAP = "-Xmx192m";
  private static final int IMAGES = 4;
  /**
   * 4608x3456 (15.9 MP) baseline JPEGs: ~4 bytes per pixel of heap at the peak (the 3-byte raster, the thumbnail's
   * steps, the encoded result), ~64 MB each, estimated at 5 (80 MB, 76 MiB). Four at once need ~250 MB; one at a
   * time fits the heap with room to spare.
   */
  private static final int WIDTH = 4608;
  private static final int HEIGHT = 3456;
  /** Low enough that the default budget is two thirds of the heap (~123 MiB: one image, not two), not this. */
  private static final long MAX_DECODED_BYTES = 100L * 1024 * 1024;
  private static final Pattern WAITED = Pattern.compile("waited (\\d+) ms for memory");
  private static final Pattern LIVENESS_PORT = Pattern.compile("worker liveness on http://[^:]+:(\\d+)/health/live");

  private ChaosStack stack;

  @AfterEach
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aSmallHeapSurvivesFourHeavyImagesAtOnceWithTheBudgetAndDiesWithoutIt() {
    stack = ChaosStack.start("MemoryBudgetSurvivalTest", Map.of(
        // The dead worker's messages come back within seconds.
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", "6",
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0"));
    int apiPort = ServiceProcess.freePort();
    ServiceProcess api = stack.startApi("api", apiPort, Map.of());
    api.awaitReady(ChaosStack.START_TIMEOUT);
    ApiClient http = ApiClient.localhost(apiPort, Duration.ofSeconds(60));
    // Queued before any worker runs: a worker's first receive takes all four.
    List<String> ids = uploadHeavyImages(http);
    Map<String, String> worker = Map.of(
        "IMAGERY_WORKER_CONCURRENCY", Integer.toString(IMAGES),
        "IMAGERY_MAX_DECODED_BYTES", Long.toString(MAX_DECODED_BYTES));
    List<String> jvm = List.of(HEAP, "-XX:+ExitOnOutOfMemoryError");

    long unbudgetedStart = System.nanoTime();
    ServiceProcess unbudgeted = stack.startWorker("worker-without-budget", merge(worker,
        "IMAGERY_WORKER_MEMORY_BUDGET_BYTES", Long.toString(1L << 40)), jvm);
    Poll.await("the worker without a budget to run out of heap", Duration.ofSeconds(120),
        () -> !unbudgeted.isAlive());
    long toDeath = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - unbudgetedStart);
    assertThat(unbudgeted.logText()).as("its log: %s", unbudgeted.tail(20)).contains("OutOfMemoryError");
    long processedBeforeDeath = ids.stream().filter(id -> state(id) == ImageState.PROCESSED).count();
    assertThat(processedBeforeDeath).as("it died before it had processed them all").isLessThan(IMAGES);

    // The next worker gets four fresh images, not the ones the first one died holding: those now have an attempt
    // that never reported back, and the worker would run them one at a time anyway (SoloGate), budget or not.
    stack.purgeJobs();
    ids = uploadHeavyImages(http);
    long budgetedStart = System.nanoTime();
    ServiceProcess budgeted = stack.startWorker("worker-with-budget", worker, jvm);
    budgeted.awaitReady(ChaosStack.START_TIMEOUT);
    for (String id : ids) {
      ImageRecord done = Poll.await("image " + id + " to be final", Duration.ofSeconds(150),
          () -> stack.record(id).orElseThrow(), record -> record.state() != ImageState.UPLOADED || !budgeted.isAlive());
      assertThat(budgeted.isAlive()).as("the worker with the budget is alive; its log: %s", budgeted.tail(20)).isTrue();
      assertThat(done.state()).as("image %s: %s", id, done.failureReason()).isEqualTo(ImageState.PROCESSED);
    }
    long toAllProcessed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - budgetedStart);

    Matcher port = budgeted.awaitLog(LIVENESS_PORT, Duration.ofSeconds(5));
    JsonObject live = ApiClient.localhost(Integer.parseInt(port.group(1)), Duration.ofSeconds(10))
        .get("/health/live").json();
    long budget = live.getLong("memoryBudgetBytes");
    assertThat(budget).as("the default: two thirds of a 192 MiB heap, less than two images' estimates")
        .isBetween(110L * 1024 * 1024, 2L * 5 * WIDTH * HEIGHT - 1);
    assertThat(live.getLong("jobsAdmittedAfterWaitingForMemory")).as("images that took turns: %s", live.encode())
        .isGreaterThanOrEqualTo(1);
    assertThat(live.getLong("memoryReservedBytes")).isZero();
    assertThat(budgeted.logText()).doesNotContain("OutOfMemoryError");
    List<String> waits = budgeted.logLines(WAITED).stream()
        .map(line -> WAITED.matcher(line).results().findFirst().orElseThrow().group(1) + " ms").toList();
    assertThat(waits).isNotEmpty();
    ChaosStack.appendToRunLog("memory-budget.log", IMAGES + " x " + WIDTH + "x" + HEIGHT + " baseline JPEG, " + HEAP
        + ": without budget dead after " + toDeath + " ms (" + processedBeforeDeath + " processed); with the "
        + (budget / (1024 * 1024)) + " MiB budget all processed " + toAllProcessed + " ms after its start, "
        + live.getLong("jobsAdmittedAfterWaitingForMemory") + " waited for memory " + waits);
    budgeted.stopGracefully(Duration.ofSeconds(60));
  }

  private static List<String> uploadHeavyImages(ApiClient http) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < IMAGES; i++) {
      String id = http.createImage();
      ApiClient.Response uploaded = http.upload(id, HeavyImages.jpeg(WIDTH, HEIGHT, false, i));
      assertThat(uploaded.status()).as("upload: %s", uploaded).isEqualTo(202);
      ids.add(id);
    }
    return ids;
  }

  private ImageState state(String id) {
    return stack.record(id).map(ImageRecord::state).orElseThrow();
  }

  private static Map<String, String> merge(Map<String, String> base, String name, String value) {
    return ServiceProcess.merge(base, Map.of(name, value));
  }
}
