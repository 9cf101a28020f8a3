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
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7: a job that fails transiently on every receive (the test knob {@code IMAGERY_FAULT_TRANSIENT_IMAGE_ID}
 * throws an I/O error where the pipeline reads the upload) is retried with backoff, costs its image no attempt, and
 * on its last receive before the dead-letter queue ends the image {@code failed} with the last error, instead of
 * dead-lettering the message and leaving the image waiting. The same worker processes the other images meanwhile.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TransientFailureTest {

  private static final int MAX_RECEIVE_COUNT = 3;

  private ChaosStack stack;

  @AfterEach
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aJobFailingOnEveryReceiveEndsFailedOnItsLastReceiveNotInTheDeadLetterQueue() {
    stack = ChaosStack.start("TransientFailureTest", Map.of(
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", "10",
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_MAX_RECEIVE_COUNT", Integer.toString(MAX_RECEIVE_COUNT),
        // Fewer attempts than receives: transient failures must not use them up.
        "IMAGERY_MAX_ATTEMPTS", "1",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0"));
    String failing = UUID.randomUUID().toString();
    int apiPort = ServiceProcess.freePort();
    ServiceProcess api = stack.startApi("api", apiPort, Map.of());
    ServiceProcess worker = stack.startWorker("worker", Map.of("IMAGERY_FAULT_TRANSIENT_IMAGE_ID", failing));
    api.awaitReady(ChaosStack.START_TIMEOUT);
    worker.awaitReady(ChaosStack.START_TIMEOUT);
    ApiClient http = ApiClient.localhost(apiPort, Duration.ofSeconds(30));

    long uploaded = System.nanoTime();
    http.createAndUpload(failing, Images.resource("pillow/hopper.jpg"));
    String other = http.createAndUpload(UUID.randomUUID().toString(), Images.resource("pillow/hopper.jpg"));
    ImageRecord failed = Poll.await("image " + failing + " to be final", Duration.ofSeconds(90),
        () -> stack.record(failing).orElseThrow(), record -> record.state() != ImageState.UPLOADED);
    Duration toFailed = Duration.ofNanos(System.nanoTime() - uploaded);

    assertThat(failed.state()).isEqualTo(ImageState.FAILED);
    assertThat(failed.failureReason()).contains("processing failed on each of the " + MAX_RECEIVE_COUNT
        + " receives of its job; the last error: a transient failure injected for tests"
        + " (IMAGERY_FAULT_TRANSIENT_IMAGE_ID)");
    Poll.await("the failing job's message to be deleted", Duration.ofSeconds(30), stack::jobs,
        counts -> counts.total() == 0);
    assertThat(stack.deadLetters().total()).as("nothing dead-lettered").isZero();
    List<String> retries = worker.logLines(Pattern.compile("image=" + failing + " message=\\S+ receive=\\d+ failed,"
        + " will retry"));
    assertThat(retries).as("retried after each receive but the last").hasSize(MAX_RECEIVE_COUNT - 1);
    Scrape metrics = worker.metrics();
    assertThat(metrics.sum("imagery_worker_job_retries_total")).as("retries the worker counted")
        .isEqualTo(MAX_RECEIVE_COUNT - 1);
    assertThat(metrics.sum("imagery_worker_images_failed_total", "reason", "receives_exhausted")).isEqualTo(1);
    assertThat(metrics.sum("imagery_worker_images_failed_total")).as("failures of any reason").isEqualTo(1);
    ImageRecord otherDone = Poll.await("image " + other + " to be final", Duration.ofSeconds(60),
        () -> stack.record(other).orElseThrow(), record -> record.state() != ImageState.UPLOADED);
    assertThat(otherDone.state()).as("the other image, same worker").isEqualTo(ImageState.PROCESSED);
    ChaosStack.appendToRunLog("transient-failure.log", "failing on every receive, max receive count "
        + MAX_RECEIVE_COUNT + ": upload->failed " + toFailed.toMillis() + " ms after " + retries.size()
        + " retries, dead letters 0");
  }

}
