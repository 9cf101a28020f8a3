package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stopping a service (what SIGTERM does through the launcher's shutdown hook) loses nothing: the API finishes
 * in-flight uploads and refuses new connections; the worker finishes the jobs it holds, or hands them back at once.
 * Stacks of their own (table, queues, bucket) on the shared emulators.
 */
class GracefulShutdownTest {

  /** Resources of one test: stacks of different tests never share a queue. */
  private final String name = "shutdown-" + java.util.UUID.randomUUID().toString().substring(0, 8);

  @Test
  void theApiFinishesAnUploadInFlightAndRefusesNewConnections() throws Exception {
    ImageryStack stack = start(Map.of("IMAGERY_SHUTDOWN_TIMEOUT_SECONDS", "30"));
    try {
      uploadDuringShutdown(stack);
    } finally {
      stack.close();
    }
  }

  private void uploadDuringShutdown(ImageryStack stack) throws Exception {
    ApiClient api = new ApiClient("http://127.0.0.1:" + stack.apiPort());
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String id = api.createImage();
    ApiClient.Multipart body = new ApiClient.Multipart().file("file", "hopper.jpg", photo);
    byte[] bytes = body.bytes();
    CountDownLatch halfSent = new CountDownLatch(1);
    CountDownLatch sendRest = new CountDownLatch(1);
    // With Expect: 100-continue the body flows only once the API has the request: half of it read means in flight.
    CompletableFuture<ApiClient.Response> upload = CompletableFuture.supplyAsync(() -> api.send(
        HttpRequest.newBuilder(URI.create(api.base() + "/image/" + id + "/upload"))
            .expectContinue(true)
            .header("Content-Type", body.contentType())
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new HeldStream(bytes, halfSent, sendRest)))));
    assertThat(halfSent.await(30, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> stopping = CompletableFuture.runAsync(stack::close);
    Poll.await("the API to refuse new connections", Duration.ofSeconds(15),
        () -> refusesConnections(stack.apiPort()), refused -> refused);
    sendRest.countDown();

    ApiClient.Response answer = upload.get(60, TimeUnit.SECONDS);
    stopping.get(60, TimeUnit.SECONDS);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(202);
    assertThat(answer.json().getJsonObject("original").getString("sha256")).isEqualTo(sha256(photo));
  }

  @Test
  void theWorkerFinishesTheJobItHoldsBeforeItStops() throws Exception {
    ImageryStack stack = start(Map.of("IMAGERY_FAULT_PROCESSING_DELAY_MS", "3000",
        "IMAGERY_SHUTDOWN_TIMEOUT_SECONDS", "30"));
    String id;
    try {
      ApiClient api = new ApiClient("http://127.0.0.1:" + stack.apiPort());
      id = api.createImage();
      assertThat(api.upload(id, Images.resource("pillow/hopper.jpg")).status()).isEqualTo(202);
      awaitJobInFlight(stack);
    } finally {
      stack.close();
    }

    ImageryStack reader = start(Map.of("IMAGERY_WORKER_CONCURRENCY", "1"));
    try {
      JsonObject record = new ApiClient("http://127.0.0.1:" + reader.apiPort()).get("/image/" + id).json();
      assertThat(record.getString("state")).as("processed before the stop completed").isEqualTo("processed");
    } finally {
      reader.close();
    }
  }

  @Test
  void theWorkerHandsBackAJobItCannotFinishInTheGracePeriod() throws Exception {
    // The job needs 30 s; the grace is 5 s; the visibility timeout is 60 s.
    ImageryStack slow = start(Map.of("IMAGERY_FAULT_PROCESSING_DELAY_MS", "30000",
        "IMAGERY_SHUTDOWN_TIMEOUT_SECONDS", "5", "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", "60"));
    String id;
    try {
      ApiClient api = new ApiClient("http://127.0.0.1:" + slow.apiPort());
      id = api.createImage();
      assertThat(api.upload(id, Images.resource("pillow/hopper.jpg")).status()).isEqualTo(202);
      awaitJobInFlight(slow);
    } finally {
      slow.close();
    }
    long stopped = System.nanoTime();
    ImageryStack next = start(Map.of());
    try {
      ApiClient nextApi = new ApiClient("http://127.0.0.1:" + next.apiPort());
      Poll.await("the handed-back job to be processed by the next worker", Duration.ofSeconds(30),
          () -> nextApi.get("/image/" + id).json().getString("state"), "processed"::equals);
      assertThat(Duration.ofNanos(System.nanoTime() - stopped))
          .as("handed back at once, not after the 60 s visibility timeout").isLessThan(Duration.ofSeconds(40));
    } finally {
      next.close();
    }
  }

  private ImageryStack start(Map<String, String> overrides) {
    Map<String, String> vars = new HashMap<>(Map.of(
        "PORT", "0",
        "IMAGERY_TABLE", name,
        "IMAGERY_BUCKET", name,
        "IMAGERY_QUEUE", name + "-jobs",
        "IMAGERY_DEAD_LETTER_QUEUE", name + "-jobs-dlq",
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0"));
    vars.putAll(overrides);
    return ImageryStack.start(TestStack.get().servers, RecordedCalls.env(), vars);
  }

  private void awaitJobInFlight(ImageryStack stack) {
    String url = stack.aws().sqs().getQueueUrl(b -> b.queueName(name + "-jobs")).join().queueUrl();
    Poll.await("the worker to hold the job", Duration.ofSeconds(30),
        () -> stack.aws().sqs().getQueueAttributes(b -> b.queueUrl(url).attributeNamesWithStrings(
            "ApproximateNumberOfMessagesNotVisible")).join().attributesAsStrings()
            .get("ApproximateNumberOfMessagesNotVisible"),
        held -> Integer.parseInt(held) >= 1);
  }

  private static boolean refusesConnections(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return false;
    } catch (ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** A body that sends its first half, then waits for the test's go before sending the rest. */
  private static final class HeldStream extends InputStream {
    private final byte[] bytes;
    private final CountDownLatch halfSent;
    private final CountDownLatch sendRest;
    private int position;

    HeldStream(byte[] bytes, CountDownLatch halfSent, CountDownLatch sendRest) {
      this.bytes = bytes;
      this.halfSent = halfSent;
      this.sendRest = sendRest;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int half = bytes.length / 2;
      if (position == half) {
        halfSent.countDown();
        try {
          if (!sendRest.await(60, TimeUnit.SECONDS)) {
            throw new IOException("the test never released the rest of the body");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
      if (position >= bytes.length) {
        return -1;
      }
      int end = position < half ? half : bytes.length;
      int n = Math.min(length, end - position);
      System.arraycopy(bytes, position, buffer, offset, n);
      position += n;
      return n;
    }
  }
}
