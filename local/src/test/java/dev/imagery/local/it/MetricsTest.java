package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.local.testing.Scrape;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} on both management ports, in the Prometheus text format, and the series an image moves on its way:
 * the upload route's HTTP histogram, the upload's size and time, the SDK calls of both services, every stage of the
 * job, the processed count; a broken image's failure by its reason. The local stack runs both services in one JVM,
 * so both ports serve the same registry; each port is read for what its service records.
 */
class MetricsTest {

  private static final Duration SETTLE = Duration.ofSeconds(30);

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;
  private final ApiClient apiManagement = new ApiClient("http://127.0.0.1:" + stack.imagery.apiManagementPort());
  private final ApiClient workerManagement =
      new ApiClient("http://127.0.0.1:" + stack.imagery.workerManagementPort());

  @Test
  void bothManagementPortsServePrometheusTextWithoutAToken() {
    for (ApiClient port : List.of(apiManagement, workerManagement)) {
      Scrape scrape = Scrape.of(port);
      assertThat(scrape.names()).as("series of %s/metrics", port.base())
          .contains("jvm_memory_used_bytes", "jvm_gc_pause_seconds_count", "jvm_threads_live_threads",
              "process_cpu_usage", "imagery_worker_slots", "imagery_worker_jobs_in_flight",
              "imagery_upload_budget_bytes", "vertx_pool_in_use");
      assertThat(scrape.sum("imagery_worker_slots")).as("jobs in flight: 4 x the pool by default").isEqualTo(8);
      assertThat(scrape.sum("imagery_worker_pool_threads")).isEqualTo(2);
      assertThat(scrape.sum("vertx_pool_in_use", "pool_type", "worker", "pool_name", "imagery-image-pool"))
          .as("the image pool's gauge").isNotNegative();
      assertThat(scrape.matching("vertx_pool_in_use", "pool_name", "imagery-image-pool")).isNotEmpty();
    }
    ApiClient.Response publicPort = api.get("/metrics");
    assertThat(publicPort.status()).as("/metrics on the public port: %s", publicPort).isEqualTo(404);
  }

  @Test
  void anImageMovesTheSeriesOfEveryStepOnItsWay() {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    Scrape before = Scrape.of(workerManagement);

    String id = api.createImage();
    assertThat(api.upload(id, photo).status()).isEqualTo(202);
    JsonObject done = api.awaitFinal(id);
    assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");

    // The worker counts just after its commit, which the API may have shown first, and deletes the message after
    // that: read until it has done both.
    Scrape after = Poll.await("the worker to count the image and delete its job", SETTLE,
        () -> Scrape.of(workerManagement),
        scrape -> grew(before, scrape, "imagery_worker_images_processed_total")
            && grew(before, scrape, "imagery_aws_call_duration_seconds_count", "operation", "DeleteMessage"));
    Scrape apiSide = Scrape.of(apiManagement);
    moved(before, apiSide, "vertx_http_server_requests_total", 1,
        "route", "/image/:id/upload", "method", "POST", "code", "202");
    moved(before, apiSide, "vertx_http_server_response_time_seconds_count", 1,
        "route", "/image/:id/upload", "code", "202");
    assertThat(apiSide.matching("vertx_http_server_response_time_seconds_bucket", "route", "/image/:id/upload",
        "code", "202")).as("the upload route's latency histogram buckets").hasSizeGreaterThan(10);
    moved(before, apiSide, "vertx_http_server_requests_total", 1, "route", "/image", "method", "POST", "code", "201");
    moved(before, apiSide, "imagery_upload_size_bytes_count", 1);
    moved(before, apiSide, "imagery_upload_size_bytes_sum", photo.length);
    moved(before, apiSide, "imagery_upload_duration_seconds_count", 1, "outcome", "stored");
    // The API's record writes (created, uploaded) and the worker's commit; the job; the upload and the results.
    moved(before, after, "imagery_aws_call_duration_seconds_count", 3,
        "service", "DynamoDB", "operation", "PutItem", "outcome", "success");
    moved(before, after, "imagery_aws_call_duration_seconds_count", 1,
        "service", "SQS", "operation", "SendMessage", "outcome", "success");
    moved(before, after, "imagery_aws_call_duration_seconds_count", 1,
        "service", "SQS", "operation", "DeleteMessage", "outcome", "success");
    moved(before, after, "imagery_aws_call_duration_seconds_count", 1,
        "service", "S3", "operation", "GetObject", "outcome", "success");
    moved(before, after, "imagery_aws_call_duration_seconds_count", 3, "service", "S3", "operation", "PutObject");
    for (String stage : List.of("download", "decode", "filter", "encode", "thumbnail", "upload", "commit")) {
      moved(before, after, "imagery_worker_stage_duration_seconds_count", 1, "stage", stage);
      assertThat(after.sum("imagery_worker_stage_duration_seconds_sum", "stage", stage)
          - before.sum("imagery_worker_stage_duration_seconds_sum", "stage", stage)).as("time spent in %s", stage)
          .isPositive();
    }
    moved(before, after, "imagery_worker_queue_wait_seconds_count", 1);
    moved(before, after, "imagery_worker_processed_receives_count", 1);
    assertThat(after.samples()).as("no label carries the image's id")
        .noneMatch(sample -> sample.labels().containsValue(id) || sample.name().contains(id));
  }

  @Test
  void aBrokenImageCountsAsFailedByItsReason() {
    Scrape before = Scrape.of(workerManagement);
    String id = api.createImage();
    assertThat(api.upload(id, Images.resource("pillow/truncated_jpeg.jpg")).status()).isEqualTo(202);
    assertThat(api.awaitFinal(id).getString("state")).isEqualTo("failed");

    Scrape after = awaitScrape(workerManagement, before, "imagery_worker_images_failed_total", 1);

    moved(before, after, "imagery_worker_images_failed_total", 1, "reason", "corrupt");
    assertThat(after.matching("imagery_worker_images_failed_total")).as("every reason, at zero or more")
        .extracting(sample -> sample.labels().get("reason"))
        .contains("corrupt", "unsupported_format", "too_many_pixels", "deadline", "attempts_exhausted",
            "receives_exhausted", "requeues_exhausted");
  }

  @Test
  void aConditionalWriteThatLosesCountsAsAnAwsErrorOfItsOperation() {
    Scrape before = Scrape.of(apiManagement);
    String id = UUID.randomUUID().toString();
    assertThat(api.create(id).status()).isEqualTo(201);
    // The second create is refused by DynamoDB (attribute_not_exists), which is how the API knows it exists.
    assertThat(api.create(id).status()).isEqualTo(200);

    Scrape after = Scrape.of(apiManagement);

    moved(before, after, "imagery_aws_call_attempt_errors_total", 1,
        "service", "DynamoDB", "operation", "PutItem", "type", "ServerError");
    moved(before, after, "imagery_aws_call_duration_seconds_count", 1,
        "service", "DynamoDB", "operation", "PutItem", "outcome", "error");
    moved(before, after, "vertx_http_server_requests_total", 1, "route", "/image/:id", "method", "PUT", "code", "200");
  }

  /** Scrapes until {@code name} (summed over its labels) has grown by {@code delta} since {@code before}. */
  static Scrape awaitScrape(ApiClient port, Scrape before, String name, double delta) {
    double start = before.sum(name);
    return Poll.await(name + " to grow by " + delta, SETTLE, () -> Scrape.of(port),
        scrape -> scrape.sum(name) - start >= delta);
  }

  private static boolean grew(Scrape before, Scrape after, String name, String... labels) {
    return after.sum(name, labels) > before.sum(name, labels);
  }

  /** {@code name} with {@code labels} grew by at least {@code delta} from {@code before} to {@code after}. */
  static void moved(Scrape before, Scrape after, String name, double delta, String... labels) {
    ToDoubleFunction<Scrape> value = scrape -> scrape.sum(name, labels);
    assertThat(after.matching(name, labels)).as("samples of %s %s", name, List.of(labels)).isNotEmpty();
    assertThat(value.applyAsDouble(after) - value.applyAsDouble(before)).as("growth of %s %s", name, List.of(labels))
        .isGreaterThanOrEqualTo(delta);
  }
}
