package dev.imagery.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
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
import org.junit.jupiter.api.Timeout;

/**
 * A worker killed with SIGKILL in the middle of an image: its heartbeat stops, the message comes back when its
 * visibility timeout runs out, and another worker processes the image once, under the same deterministic keys.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WorkerCrashTest {

  private static final int VISIBILITY_SECONDS = 4;

  private ChaosStack stack;

  @BeforeEach
  void startStack() {
    stack = ChaosStack.start("WorkerCrashTest", Map.of(
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", Integer.toString(VISIBILITY_SECONDS),
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_WORKER_CONCURRENCY", "1",
        // No reconciler: the message coming back from SQS must be the only way the image gets processed.
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0"));
  }

  @AfterEach
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void anImageWhoseWorkerIsKilledMidJobIsProcessedOnceByAnotherWorker() {
    int apiPort = ServiceProcess.freePort();
    ServiceProcess api = stack.startApi("api", apiPort, Map.of());
    // Hangs a minute on every image, on its image pool, with its heartbeat running.
    ServiceProcess worker1 = stack.startWorker("worker-1", Map.of("IMAGERY_FAULT_PROCESSING_DELAY_MS", "60000"));
    api.awaitReady(ChaosStack.START_TIMEOUT);
    worker1.awaitReady(ChaosStack.START_TIMEOUT);

    String id = UUID.randomUUID().toString();
    ApiClient http = ApiClient.localhost(apiPort, Duration.ofSeconds(30));
    assertThat(http.create(id).status()).isEqualTo(201);
    ApiClient.Response uploaded = http.upload(id, Images.resource("pillow/hopper.jpg"));
    assertThat(uploaded.status()).as("upload: %s", uploaded).isEqualTo(202);
    String uploadId = stack.record(id).flatMap(ImageRecord::uploadId).orElseThrow();

    // Worker 1 holds the message mid-job: in flight, and its heartbeat has extended it at least once.
    Matcher holding = worker1.awaitLog(
        Pattern.compile("image=" + id + " message=(\\S+) visibility extended"), Duration.ofSeconds(30));
    String messageId = holding.group(1);
    assertThat(stack.jobs()).isEqualTo(new ChaosStack.QueueCounts(0, 1));

    worker1.kill9();

    assertThat(worker1.logText()).doesNotContain("processed in");
    assertThat(stack.record(id).orElseThrow().state()).isEqualTo(ImageState.UPLOADED);
    // Nobody gives the message back: it is still hidden, until the visibility the dead worker last set runs out.
    assertThat(stack.jobs()).as("right after the kill").isEqualTo(new ChaosStack.QueueCounts(0, 1));
    Poll.await("the message to come back after its visibility timeout", Duration.ofSeconds(VISIBILITY_SECONDS + 20),
        stack::jobs, counts -> counts.visible() == 1);

    ServiceProcess worker2 = stack.startWorker("worker-2", Map.of());
    worker2.awaitReady(ChaosStack.START_TIMEOUT);
    ImageRecord processed = Poll.await("image " + id + " to be final", Duration.ofSeconds(60),
        () -> stack.record(id).orElseThrow(), record -> record.state() != ImageState.UPLOADED);
    Poll.await("the job to be deleted", Duration.ofSeconds(30), stack::jobs, counts -> counts.total() == 0);

    assertThat(processed.state()).isEqualTo(ImageState.PROCESSED);
    assertThat(processed.version()).as("created 0, uploaded 1, processed 2: committed once").isEqualTo(2);
    assertThat(processed.uploadId()).contains(uploadId);
    ImageRecord.Result result = processed.result().orElseThrow();
    assertThat(result.resultKey()).isEqualTo("processed/" + id + "/" + uploadId + ".jpg");
    assertThat(result.thumbnailKey()).isEqualTo("processed/" + id + "/" + uploadId + "-thumb.jpg");
    assertThat(stack.keys("processed/" + id + "/"))
        .containsExactlyInAnyOrder(result.resultKey(), result.thumbnailKey());
    assertThat(stack.keys("raw/" + id + "/")).containsExactly("raw/" + id + "/" + uploadId);

    List<String> done = stack.workerLogLines(Pattern.compile("image=" + id + " .*processed in"));
    assertThat(done).as("processed exactly once, by worker 2, on the second receive of the same message")
        .singleElement().satisfies(line -> assertThat(line)
            .startsWith("worker-2: ")
            .contains("image=" + id + " message=" + messageId + " receive=2 upload=" + uploadId + " processed in"));
    assertThat(stack.deadLetters().total()).isZero();
  }
}
