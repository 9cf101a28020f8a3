package dev.imagery.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.logging.TraceParent;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One trace id follows an image across both services, read from their real JSON log lines (the format of the
 * containers): the API continues the client's W3C {@code traceparent}, or starts one, and answers it in the response
 * header; the job carries it to the worker in an SQS message attribute; the record keeps it, so that the reconciler's
 * requeue of a lost job carries it on. The API's access log line is JSON with its fields.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TraceAcrossServicesTest {

  private static final Duration LOG_TIMEOUT = Duration.ofSeconds(30);

  private static ChaosStack stack;
  private static ServiceProcess api;
  private static ServiceProcess worker;
  private static ApiClient http;

  @BeforeAll
  static void startStack() {
    stack = ChaosStack.start("TraceAcrossServicesTest", Map.of(
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        // A lost job is requeued 3 s after its upload (checked every second).
        "IMAGERY_RECONCILE_AFTER_SECONDS", "3",
        "IMAGERY_RECONCILE_INTERVAL_SECONDS", "1"));
    int port = ServiceProcess.freePort();
    api = stack.startApi("api", port, Map.of());
    worker = stack.startWorker("worker", Map.of());
    api.awaitReady(ChaosStack.START_TIMEOUT);
    worker.awaitReady(ChaosStack.START_TIMEOUT);
    http = ApiClient.localhost(port, Duration.ofSeconds(30));
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void theClientsTraceFollowsTheImageThroughTheApiAndTheWorker() {
    TraceParent client = TraceParent.newTrace();
    String id = UUID.randomUUID().toString();
    assertThat(http.create(id).status()).isEqualTo(201);
    ApiClient.Response uploaded = upload(id, client.header());
    assertThat(uploaded.status()).as("upload: %s", uploaded).isEqualTo(202);

    TraceParent answered = TraceParent.parse(uploaded.headers().firstValue("traceparent").orElseThrow()).orElseThrow();
    assertThat(answered.traceId()).as("the client's trace, continued").isEqualTo(client.traceId());
    assertThat(answered.spanId()).as("a span of the API's own").isNotEqualTo(client.spanId());
    assertThat(http.awaitFinal(id).getString("state")).isEqualTo("processed");

    // The API: the upload's own lines, and its access line, as JSON with the trace and image id fields.
    JsonNode stored = awaitEvent(api, id, event -> event.get("message").asText().contains(" stored "));
    JsonNode queued = awaitEvent(api, id, event -> event.get("message").asText().endsWith(" queued"));
    JsonNode access = awaitEvent(api, id, event -> event.get("logger_name").asText().endsWith("AccessLog")
        && "POST".equals(text(event, "method")));
    for (JsonNode line : List.of(stored, queued, access)) {
      assertThat(text(line, "traceId")).as("API line %s", line).isEqualTo(client.traceId());
      assertThat(text(line, "spanId")).as("API line %s", line).isEqualTo(answered.spanId());
      assertThat(text(line, "service")).isEqualTo("imagery-api");
    }
    assertThat(text(access, "route")).isEqualTo("/image/:id/upload");
    assertThat(text(access, "path")).isEqualTo("/image/" + id + "/upload");
    assertThat(access.get("status").asInt()).isEqualTo(202);
    assertThat(access.get("requestBytes").asLong()).isGreaterThan(Images.resource("pillow/hopper.jpg").length);
    assertThat(access.get("responseBytes").asLong()).isPositive();
    assertThat(access.get("durationMs").isIntegralNumber()).as("durationMs is a number: %s", access).isTrue();
    assertThat(text(access, "caller")).isEqualTo("-");

    // The worker: every line it wrote for the image carries the same trace id, with its message id.
    awaitEvent(worker, id, event -> event.get("message").asText().contains(" processed in "));
    List<JsonNode> workerLines = eventsOf(worker, id);
    assertThat(workerLines).as("the worker's lines for %s", id).hasSizeGreaterThanOrEqualTo(2)
        .allSatisfy(line -> {
          assertThat(text(line, "traceId")).as("worker line %s", line).isEqualTo(client.traceId());
          assertThat(text(line, "spanId")).as("a span of the worker's own").isNotIn(client.spanId(), answered.spanId());
          assertThat(text(line, "messageId")).isNotEmpty();
          assertThat(text(line, "service")).isEqualTo("imagery-worker");
        });
  }

  @Test
  void aRequestWithoutAValidTraceparentGetsANewOne() {
    for (String given : new String[] {null, "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"}) {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(http.base() + "/image"))
          .POST(HttpRequest.BodyPublishers.noBody());
      if (given != null) {
        request.header("traceparent", given);
      }
      ApiClient.Response created = http.send(request);
      assertThat(created.status()).isEqualTo(201);
      String header = created.headers().firstValue("traceparent").orElseThrow();
      TraceParent trace = TraceParent.parse(header).orElseThrow(() -> new AssertionError("not valid: " + header));
      assertThat(given == null || !given.toLowerCase().contains(trace.traceId())).as("a new trace for %s", given)
          .isTrue();

      // The access line of the create names the image it created, under the trace it answered.
      String id = created.json().getString("id");
      JsonNode access = awaitEvent(api, id, event -> event.get("logger_name").asText().endsWith("AccessLog"));
      assertThat(text(access, "traceId")).isEqualTo(trace.traceId());
      assertThat(text(access, "route")).isEqualTo("/image");
      assertThat(access.get("status").asInt()).isEqualTo(201);
    }
  }

  @Test
  void theReconcilersRequeueOfALostJobCarriesTheUploadsTrace() {
    // No worker while the job is lost: it must not take it before the purge.
    worker.stopGracefully(Duration.ofSeconds(30));
    TraceParent client = TraceParent.newTrace();
    String id = UUID.randomUUID().toString();
    assertThat(http.create(id).status()).isEqualTo(201);
    assertThat(upload(id, client.header()).status()).isEqualTo(202);
    stack.purgeJobs();
    ImageRecord waiting = stack.record(id).orElseThrow();
    assertThat(waiting.state()).isEqualTo(ImageState.UPLOADED);
    String storedTrace = waiting.upload().orElseThrow().traceparent().orElseThrow();
    assertThat(TraceParent.parse(storedTrace).orElseThrow().traceId()).isEqualTo(client.traceId());

    worker = stack.restart(worker).awaitReady(ChaosStack.START_TIMEOUT);
    assertThat(http.awaitFinal(id).getString("state")).isEqualTo("processed");

    JsonNode requeued = awaitEvent(worker, id, event -> event.get("message").asText().startsWith("requeued image="));
    JsonNode processed = awaitEvent(worker, id, event -> event.get("message").asText().contains(" processed in "));
    assertThat(text(requeued, "traceId")).as("the requeue: %s", requeued).isEqualTo(client.traceId());
    assertThat(text(processed, "traceId")).as("the requeued job: %s", processed).isEqualTo(client.traceId());
  }

  private static ApiClient.Response upload(String id, String traceparent) {
    ApiClient.Multipart body = new ApiClient.Multipart().file("file", "hopper.jpg",
        Images.resource("pillow/hopper.jpg"));
    return http.send(HttpRequest.newBuilder(URI.create(http.base() + "/image/" + id + "/upload"))
        .header("Content-Type", body.contentType())
        .header("traceparent", traceparent)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())));
  }

  private static JsonNode awaitEvent(ServiceProcess process, String imageId, Predicate<JsonNode> wanted) {
    return Poll.await(process.name() + " to log a JSON line for " + imageId, LOG_TIMEOUT,
        () -> eventsOf(process, imageId).stream().filter(wanted).findFirst(), found -> found.isPresent()).orElseThrow();
  }

  private static List<JsonNode> eventsOf(ServiceProcess process, String imageId) {
    return process.logEvents().stream().filter(event -> imageId.equals(text(event, "imageId"))).toList();
  }

  private static String text(JsonNode event, String field) {
    return event.hasNonNull(field) ? event.get(field).asText() : "";
  }
}
