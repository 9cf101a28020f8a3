package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.LocalAwsServers;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.HeldStream;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import java.io.ByteArrayInputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API's upload memory budget ({@code IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES}, here its minimum of 16 MiB): an
 * upload of unknown length reserves a full S3 part buffer (15 MiB) before its body is read; while it streams, a
 * second one of unknown length does not fit: it waits, then gets our 503 {@code BUSY} with Retry-After, and nothing
 * is stored for it; once the first is in S3, the same upload is accepted.
 */
class UploadBudgetTest {

  private static LocalAwsServers servers;
  private static ImageryStack stack;
  private static ApiClient api;

  @BeforeAll
  static void start() {
    servers = LocalAwsServers.start(LocalAwsServers.Ports.anyFree(), Optional.empty());
    stack = ImageryStack.start(servers, RecordedCalls.env(), Map.of(
        "PORT", "0",
        "IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES", Long.toString(16L * 1024 * 1024),
        "IMAGERY_UPLOAD_BUDGET_WAIT_MS", "300",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0"));
    api = new ApiClient("http://127.0.0.1:" + stack.apiPort());
  }

  @AfterAll
  static void stop() {
    stack.close();
    servers.stop();
  }

  @Test
  void anUploadThatDoesNotFitWhileAnotherStreamsGets503BusyThenIsAcceptedOnceThereIsRoom() throws Exception {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String streaming = api.createImage();
    CountDownLatch finish = new CountDownLatch(1);
    // The photo's first half, then nothing until the test lets the rest go: the upload holds its reservation.
    CompletableFuture<ApiClient.Response> held = CompletableFuture.supplyAsync(() -> api.uploadChunked(streaming,
        () -> new SequenceInputStream(new ByteArrayInputStream(photo, 0, photo.length / 2),
            new HeldStream(finish, new ByteArrayInputStream(photo, photo.length / 2, photo.length)))));

    // Until the first upload holds its reservation, others are accepted: each try takes a fresh image.
    Attempt tried = Poll.await("an upload to be refused while the first one streams", Duration.ofSeconds(30),
        () -> {
          String id = api.createImage();
          // Chunked too (no Content-Length): it asks for a full part buffer, which cannot fit beside the first.
          return new Attempt(id, api.uploadChunked(id, () -> new ByteArrayInputStream(photo)));
        }, attempt -> attempt.response().status() != 202);
    finish.countDown();
    String other = tried.id();
    ApiClient.Response refused = tried.response();

    assertThat(refused.status()).as("refused: %s", refused).isEqualTo(503);
    assertThat(refused.json().getString("error")).isEqualTo("BUSY");
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(api.get("/image/" + other).json().getString("state")).as("nothing stored for it").isEqualTo("created");
    assertThat(held.get(60, TimeUnit.SECONDS).status()).as("the streaming upload").isEqualTo(202);
    ApiClient.Response again = api.upload(other, photo);
    assertThat(again.status()).as("the refused upload, sent again once there is room: %s", again).isEqualTo(202);
    assertThat(api.awaitFinal(streaming).getString("state")).isEqualTo("processed");
    assertThat(api.awaitFinal(other).getString("state")).isEqualTo("processed");
  }

  private record Attempt(String id, ApiClient.Response response) {
  }
}
