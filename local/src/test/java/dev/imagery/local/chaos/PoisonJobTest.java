package dev.imagery.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7: a job that takes its worker down on every attempt (as an image that runs the JVM out of memory would:
 * here the test SIGKILLs the worker the moment it starts that image, and starts a new one, as ECS would) ends
 * {@code failed} within {@code IMAGERY_MAX_ATTEMPTS}, while its siblings, received by the same workers, are all
 * processed. Both ways a poison job can end: its attempts run out while its message is still in the queue; or its
 * message is dead-lettered first and the reconciler's requeue brings it to the attempt limit.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PoisonJobTest {

  private static final int VISIBILITY_SECONDS = 4;
  private static final int MAX_ATTEMPTS = 3;
  private static final int SIBLINGS = 4;

  private ChaosStack stack;

  @AfterEach
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aJobThatKillsItsWorkerOnEveryAttemptEndsFailedWithinTheAttemptLimit() {
    stack = ChaosStack.start("PoisonJobTest-attempts", Map.of(
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", Integer.toString(VISIBILITY_SECONDS),
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_MAX_ATTEMPTS", Integer.toString(MAX_ATTEMPTS),
        "IMAGERY_MAX_RECEIVE_COUNT", "5",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0"));

    Outcome outcome = poisonRun();

    assertThat(outcome.poison.failureReason()).hasValueSatisfying(reason -> assertThat(reason)
        .startsWith("processing did not finish after " + MAX_ATTEMPTS + " attempts"));
    assertThat(outcome.kills).as("a worker killed on each allowed attempt, none after").isEqualTo(MAX_ATTEMPTS);
    assertThat(stack.deadLetters().total()).as("the message never reached the dead-letter queue").isZero();
    outcome.report("attempt limit");
  }

  @Test
  void aPoisonJobDeadLetteredBeforeItsAttemptsRanOutIsFailedAfterTheReconcilersRequeue() {
    stack = ChaosStack.start("PoisonJobTest-dead-lettered", Map.of(
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", Integer.toString(VISIBILITY_SECONDS),
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_MAX_ATTEMPTS", Integer.toString(MAX_ATTEMPTS),
        // Two receives, two kills: the queue dead-letters the message with the image still uploaded.
        "IMAGERY_MAX_RECEIVE_COUNT", "2",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "25",
        "IMAGERY_RECONCILE_INTERVAL_SECONDS", "1"));

    Outcome outcome = poisonRun();

    assertThat(outcome.poison.failureReason()).hasValueSatisfying(reason -> assertThat(reason)
        .startsWith("processing did not finish after " + MAX_ATTEMPTS + " attempts"));
    assertThat(outcome.kills).isEqualTo(MAX_ATTEMPTS);
    List<String> requeues = stack.workerLogLines(Pattern.compile("requeued image=" + outcome.poisonId + " "));
    assertThat(requeues).as("brought back from the dead-letter queue's side by the reconciler, once").hasSize(1);
    // At least the poison's first message. A sibling killed beside it (or while it waited for its turn behind it) on
    // both of its receives is dead-lettered too; the reconciler requeued it like the poison, and it was processed.
    assertThat(stack.deadLetters().total()).as("the poison's first message, dead-lettered").isGreaterThanOrEqualTo(1);
    outcome.report("dead-lettered, then requeued");
  }

  /**
   * Uploads the siblings and the poison image (whose decode hangs: a worker holds it until killed), then plays the
   * orchestrator: start a worker, kill it with SIGKILL as soon as it starts the poison image, start another, until
   * the poison image is final. Returns once every image is final and the queue is empty.
   */
  private Outcome poisonRun() {
    String poison = UUID.randomUUID().toString();
    int apiPort = ServiceProcess.freePort();
    ServiceProcess api = stack.startApi("api", apiPort, Map.of());
    api.awaitReady(ChaosStack.START_TIMEOUT);
    ApiClient http = ApiClient.localhost(apiPort, Duration.ofSeconds(30));
    List<String> siblings = new ArrayList<>();
    for (int i = 0; i < SIBLINGS; i++) {
      siblings.add(http.createAndUpload(UUID.randomUUID().toString(), Images.resource("pillow/hopper.jpg")));
      if (i == 1) {
        http.createAndUpload(poison, Images.resource("pillow/hopper.jpg"));
      }
    }
    long uploaded = System.nanoTime();

    Map<String, String> workerEnv = Map.of("IMAGERY_FAULT_DECODE_HANG_IMAGE_ID", poison,
        "IMAGERY_JOB_TIMEOUT_SECONDS", "600", "IMAGERY_WORKER_CONCURRENCY", "2");
    Pattern started = Pattern.compile("image=" + poison + " message=\\S+ receive=\\d+ upload=\\S+ attempt \\d+ started");
    int kills = 0;
    for (int run = 1; run <= MAX_ATTEMPTS + 2 && !isFinal(poison); run++) {
      ServiceProcess worker = stack.startWorker("worker-" + run, Map.copyOf(workerEnv));
      worker.awaitReady(ChaosStack.START_TIMEOUT);
      boolean holding = Poll.await("worker-" + run + " to start the poison image, or the image to be final",
          Duration.ofSeconds(90), () -> !worker.logLines(started).isEmpty() || isFinal(poison), done -> done)
          && !worker.logLines(started).isEmpty();
      if (holding) {
        worker.kill9();
        kills++;
      }
    }
    ImageRecord failed = Poll.await("the poison image to be final", Duration.ofSeconds(60),
        () -> stack.record(poison).orElseThrow(), record -> record.state() != ImageState.UPLOADED);
    Duration toFailed = Duration.ofNanos(System.nanoTime() - uploaded);
    assertThat(failed.state()).isEqualTo(ImageState.FAILED);
    assertThat(stack.keys("processed/" + poison + "/")).as("nothing stored for the poison image").isEmpty();

    for (String sibling : siblings) {
      ImageRecord done = Poll.await("sibling " + sibling + " to be final", Duration.ofSeconds(90),
          () -> stack.record(sibling).orElseThrow(), record -> record.state() != ImageState.UPLOADED);
      assertThat(done.state()).as("sibling %s, whose workers the poison job took down", sibling)
          .isEqualTo(ImageState.PROCESSED);
    }
    Poll.await("the queue to be empty", Duration.ofSeconds(60), stack::jobs, counts -> counts.total() == 0);
    return new Outcome(poison, failed, kills, toFailed);
  }

  private record Outcome(String poisonId, ImageRecord poison, int kills, Duration toFailed) {
    void report(String how) {
      ChaosStack.appendToRunLog("poison-job.log", how + ": worker SIGKILLed on " + kills + " attempts, poison image"
          + " upload->failed " + toFailed.toMillis() + " ms (" + poison.failureReason().orElse("-") + "), "
          + SIBLINGS + " siblings processed");
    }
  }

  private boolean isFinal(String id) {
    return stack.record(id).map(record -> record.state() != ImageState.UPLOADED).orElse(false);
  }

}
