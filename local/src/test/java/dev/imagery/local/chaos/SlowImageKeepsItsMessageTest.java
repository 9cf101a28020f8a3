package dev.imagery.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.local.testing.Scrape;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * A slow image outlives its visibility timeout several times over: the worker's heartbeat keeps the message
 * hidden, so no other worker (nor the same one) ever receives it again, and it is processed once. And a worker
 * stopped with SIGTERM while it holds a slow job either finishes it or hands it back at once.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SlowImageKeepsItsMessageTest {

  private static final int VISIBILITY_SECONDS = 3;
  private static final Duration SLOW = Duration.ofSeconds(12);

  private ChaosStack stack;
  private int apiPort;

  @BeforeEach
  void startStack(TestInfo test) {
    stack = ChaosStack.start("SlowImageKeepsItsMessageTest/" + test.getTestMethod().orElseThrow().getName(), Map.of(
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", Integer.toString(VISIBILITY_SECONDS),
        // Idle slots ask every second: a message that became visible would be taken at once.
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_WORKER_CONCURRENCY", "2",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0"));
    apiPort = ServiceProcess.freePort();
  }

  @AfterEach
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void theHeartbeatKeepsASlowImageFromEveryOtherWorker() {
    ServiceProcess api = stack.startApi("api", apiPort, Map.of());
    Map<String, String> slow = Map.of("IMAGERY_FAULT_PROCESSING_DELAY_MS", Long.toString(SLOW.toMillis()));
    ServiceProcess worker1 = stack.startWorker("worker-1", slow);
    ServiceProcess worker2 = stack.startWorker("worker-2", slow);
    api.awaitReady(ChaosStack.START_TIMEOUT);
    worker1.awaitReady(ChaosStack.START_TIMEOUT);
    worker2.awaitReady(ChaosStack.START_TIMEOUT);

    String id = upload();
    ImageRecord processed = awaitFinal(id, SLOW.plusSeconds(60));
    // Committed is not yet done: the job still deletes its message. Stop only once it is gone.
    Poll.await("the job's message to be deleted", Duration.ofSeconds(30), stack::jobs,
        counts -> counts.inFlight() == 0 && counts.visible() == 0);
    // The one image of the test: the workers' counts are its own.
    List<Scrape> metrics = List.of(worker1.metrics(), worker2.metrics());
    // SIGTERM lets a worker finish what it holds: a second copy of the job, had one been received, would be
    // finished (and logged) before the worker exits.
    worker1.stopGracefully(Duration.ofSeconds(60));
    worker2.stopGracefully(Duration.ofSeconds(60));

    assertProcessedOnce(id, processed);
    List<String> done = stack.workerLogLines(Pattern.compile("image=" + id + " .*processed in"));
    assertThat(done).as("exactly one worker processed it, on its first receive").singleElement()
        .satisfies(line -> assertThat(line).contains(" receive=1 "));
    assertThat(processingMillis(done.get(0))).as("the job outlived its visibility timeout 4 times")
        .isGreaterThanOrEqualTo(SLOW.toMillis());
    assertThat(total(metrics, "imagery_worker_visibility_extensions_total", "outcome", "extended"))
        .as("heartbeats while the job ran").isGreaterThanOrEqualTo(3);
    assertThat(total(metrics, "imagery_worker_visibility_extensions_total", "outcome", "error")).isZero();
    assertThat(total(metrics, "imagery_worker_queue_wait_seconds_count"))
        .as("receives of the message by either worker: one").isEqualTo(1);
    assertThat(total(metrics, "imagery_worker_jobs_skipped_total")).as("jobs acknowledged without work").isZero();
    assertThat(total(metrics, "imagery_worker_images_processed_total")).as("commits").isEqualTo(1);
    assertThat(stack.workerLogLines(Pattern.compile("worker stopping: 0 jobs in flight")))
        .as("both workers idle at the end: neither held a copy of the job").hasSize(2);
  }

  @Test
  void aWorkerStoppedWhileItHoldsASlowJobFinishesItWithinItsGrace() {
    ServiceProcess api = stack.startApi("api", apiPort, Map.of());
    ServiceProcess worker = stack.startWorker("worker", Map.of(
        "IMAGERY_FAULT_PROCESSING_DELAY_MS", "8000",
        "IMAGERY_SHUTDOWN_TIMEOUT_SECONDS", "30"));
    api.awaitReady(ChaosStack.START_TIMEOUT);
    worker.awaitReady(ChaosStack.START_TIMEOUT);

    String id = upload();
    worker.awaitLog(Pattern.compile("image=" + id + " message=\\S+ visibility extended"), Duration.ofSeconds(30));
    assertThat(stack.record(id).orElseThrow().state()).isEqualTo(ImageState.UPLOADED);

    worker.stopGracefully(Duration.ofSeconds(60));

    assertThat(worker.logText()).contains("worker stopping: 1 jobs in flight");
    assertThat(worker.logLines(Pattern.compile("image=" + id + " .*receive=1 .*processed in")))
        .as("finished before exiting").hasSize(1);
    assertThat(worker.logText()).doesNotContain("still running at shutdown");
    assertProcessedOnce(id, stack.record(id).orElseThrow());
  }

  @Test
  void aWorkerThatCannotFinishWithinItsGraceHandsTheMessageBackAtOnce() {
    ServiceProcess api = stack.startApi("api", apiPort, Map.of());
    // A visibility timeout of 30 s: the message may come back sooner only if the worker gives it back. One slot:
    // with a free one, the worker's own last long poll may catch the message it hands back (and hand it back again).
    ServiceProcess worker1 = stack.startWorker("worker-1", Map.of(
        "IMAGERY_WORKER_CONCURRENCY", "1",
        "IMAGERY_WORKER_MAX_IN_FLIGHT", "1",
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", "30",
        "IMAGERY_FAULT_PROCESSING_DELAY_MS", "60000",
        "IMAGERY_SHUTDOWN_TIMEOUT_SECONDS", "4"));
    api.awaitReady(ChaosStack.START_TIMEOUT);
    worker1.awaitReady(ChaosStack.START_TIMEOUT);

    String id = upload();
    Poll.await("worker 1 to hold the job", Duration.ofSeconds(30), stack::jobs,
        counts -> counts.inFlight() == 1 && counts.visible() == 0);
    long stopped = System.nanoTime();

    worker1.stopGracefully(Duration.ofSeconds(30));

    assertThat(worker1.logText())
        .contains("worker stopping: 1 jobs in flight")
        .contains("still running at shutdown: making it visible again")
        // The interrupted job must not hide the handed-back message again on its failure path.
        .doesNotContain("will retry")
        .doesNotContain("processed in");
    Poll.await("the message to be visible again", Duration.ofSeconds(5), stack::jobs,
        counts -> counts.visible() == 1);
    assertThat(Duration.ofNanos(System.nanoTime() - stopped)).as("handed back, not left to time out")
        .isLessThan(Duration.ofSeconds(20));

    ServiceProcess worker2 = stack.startWorker("worker-2", Map.of());
    worker2.awaitReady(ChaosStack.START_TIMEOUT);
    ImageRecord processed = awaitFinal(id, Duration.ofSeconds(60));
    assertProcessedOnce(id, processed);
    assertThat(stack.workerLogLines(Pattern.compile("image=" + id + " .*processed in")))
        .singleElement().satisfies(line -> assertThat(line).startsWith("worker-2: ").contains(" receive=2 "));
  }

  private static double total(List<Scrape> scrapes, String name, String... labels) {
    return scrapes.stream().mapToDouble(scrape -> scrape.sum(name, labels)).sum();
  }

  private String upload() {
    String id = UUID.randomUUID().toString();
    ApiClient http = ApiClient.localhost(apiPort, Duration.ofSeconds(30));
    assertThat(http.create(id).status()).isEqualTo(201);
    ApiClient.Response uploaded = http.upload(id, Images.resource("pillow/hopper.jpg"));
    assertThat(uploaded.status()).as("upload: %s", uploaded).isEqualTo(202);
    return id;
  }

  private ImageRecord awaitFinal(String id, Duration timeout) {
    return Poll.await("image " + id + " to be final", timeout, () -> stack.record(id).orElseThrow(),
        record -> record.state() != ImageState.UPLOADED);
  }

  /** Processed, committed once, its two results under the upload's keys, the queue empty, nothing dead-lettered. */
  private void assertProcessedOnce(String id, ImageRecord processed) {
    assertThat(processed.state()).isEqualTo(ImageState.PROCESSED);
    assertThat(processed.version()).isEqualTo(2);
    String uploadId = processed.uploadId().orElseThrow();
    ImageRecord.Result result = processed.result().orElseThrow();
    assertThat(stack.keys("processed/" + id + "/")).containsExactlyInAnyOrder(
        "processed/" + id + "/" + uploadId + ".jpg", "processed/" + id + "/" + uploadId + "-thumb.jpg");
    assertThat(List.of(result.resultKey(), result.thumbnailKey())).containsExactlyInAnyOrder(
        "processed/" + id + "/" + uploadId + ".jpg", "processed/" + id + "/" + uploadId + "-thumb.jpg");
    Poll.await("the job to be deleted", Duration.ofSeconds(30), stack::jobs, counts -> counts.total() == 0);
    assertThat(stack.deadLetters().total()).isZero();
  }

  private static long processingMillis(String line) {
    Matcher matcher = Pattern.compile("processed in (\\d+) ms").matcher(line);
    assertThat(matcher.find()).as("a processed line: %s", line).isTrue();
    return Long.parseLong(matcher.group(1));
  }
}
