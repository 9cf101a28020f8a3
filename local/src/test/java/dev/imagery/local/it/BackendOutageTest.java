package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.LocalAwsServers.Service;
import dev.imagery.local.LocalAwsServers;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DynamoDB, SQS or S3 goes away for about ten seconds under traffic. The API answers 503 with Retry-After, fast,
 * never a hang and never a 500; readiness goes down and comes back; the worker backs off and resumes by itself;
 * afterwards every accepted image is processed. Own emulators, with data on disk so a restarted server keeps it.
 */
class BackendOutageTest {

  private static final Duration OUTAGE = Duration.ofSeconds(10);
  /** The API's slowest legitimate answer in an outage: its DynamoDB call timeout here, plus scheduling slack. */
  private static final long MAX_ANSWER_MS = 8_000;

  private static LocalAwsServers servers;
  private static ImageryStack stack;
  private static ApiClient api;
  private static ApiClient worker;
  private static Path data;

  @BeforeAll
  static void start() throws Exception {
    data = Files.createTempDirectory("imagery-outage");
    servers = LocalAwsServers.start(LocalAwsServers.Ports.anyFree(), Optional.of(data));
    stack = ImageryStack.start(servers, RecordedCalls.env(), Map.of(
        "PORT", "0",
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", "10",
        "IMAGERY_DYNAMODB_CALL_TIMEOUT_MS", "5000",
        "IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS", "1500",
        "IMAGERY_RECONCILE_AFTER_SECONDS", "3",
        "IMAGERY_RECONCILE_INTERVAL_SECONDS", "1",
        // Requeues at 3, 6, 12, 24, 48 s: after an SQS outage on a loaded machine the worker's first receive may come
        // 13 s after the requeue (a CI run), and 3 requeues (give-up at ~24 s) then failed an image the test accepted.
        "IMAGERY_MAX_REQUEUES", "5",
        // The traffic comes from one address, and a fast 503 is answered again at once: the per-caller limits
        // (tested on their own, PerCallerLimitsTest) would answer 429 instead of the 503 under test.
        "IMAGERY_CALLER_MAX_UPLOADS", "0",
        "IMAGERY_CALLER_REQUESTS_PER_SECOND", "0"));
    api = new ApiClient("http://127.0.0.1:" + stack.apiPort());
    worker = new ApiClient("http://127.0.0.1:" + stack.workerManagementPort());
  }

  @AfterAll
  static void stop() throws Exception {
    stack.close();
    servers.stop();
    try (var files = Files.walk(data)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @ParameterizedTest
  @EnumSource(Service.class)
  void anOutageIsAnsweredWith503AndEveryAcceptedImageEndsProcessed(Service backend) throws Exception {
    Traffic traffic = new Traffic();
    traffic.start();
    try {
      Poll.await("traffic to flow", Duration.ofSeconds(30), traffic.accepted::size, n -> n >= 3);

      servers.interrupt(backend);
      long outageStart = System.nanoTime();
      // Readiness is the replica's: only the state store's outage takes it out of the balancer; an SQS or S3
      // outage shows in its checks while it stays in, and the routes that need neither keep answering.
      String check = backend.name().toLowerCase(java.util.Locale.ROOT);
      int readyStatus = backend == Service.DYNAMODB ? 503 : 200;
      Poll.await("readiness to report the outage", Duration.ofSeconds(15), () -> api.get("/health/ready"),
          ready -> ready.status() == readyStatus
              && ready.json().getJsonObject("checks").getString(check).startsWith("DOWN"));
      if (backend != Service.DYNAMODB) {
        String earlier = traffic.accepted.peek();
        ApiClient.Response record = api.get("/image/" + earlier);
        assertThat(record.status()).as("GET /image/{id} during the %s outage: %s", backend, record).isEqualTo(200);
      }
      Poll.await("clients to meet the outage", Duration.ofSeconds(20), traffic.unavailable::get, n -> n >= 1);
      // A worker backing off from a dead backend is alive: its liveness must not get it restarted.
      ApiClient.Response live = worker.get("/health/live");
      assertThat(live.status()).as("worker liveness during the %s outage: %s", backend, live).isEqualTo(200);
      // Time itself, not a condition: the outage has a set length (the class's "about ten seconds") because what
      // this test checks is the service through a backend gone that long: answers stay fast 503s, the worker keeps
      // backing off and stays live, and everything recovers afterwards. No state of the system marks "long enough".
      Poll.await("the outage to last " + OUTAGE, OUTAGE.plusSeconds(5),
          () -> System.nanoTime() - outageStart, elapsed -> elapsed >= OUTAGE.toNanos());
      servers.restore(backend);

      Poll.await("readiness to come back", Duration.ofSeconds(30), () -> api.get("/health/ready"),
          ready -> ready.status() == 200 && ready.json().getString("status").equals("UP"));
      int acceptedBefore = traffic.accepted.size();
      Poll.await("traffic to flow again", Duration.ofSeconds(30), traffic.accepted::size,
          n -> n >= acceptedBefore + 3);
    } finally {
      traffic.stop();
    }

    assertThat(traffic.violations).as("every answer a success or a fast 503 with Retry-After").isEmpty();
    assertThat(traffic.unavailable.get()).as("the outage was met by clients").isPositive();
    for (String id : traffic.accepted) {
      assertThat(api.awaitFinal(id).getString("state")).as("image %s after the %s outage", id, backend)
          .isEqualTo("processed");
    }
    System.out.printf("outage %s: %d accepted, all processed; %d answers 503, slowest answer %d ms%n", backend,
        traffic.accepted.size(), traffic.unavailable.get(), traffic.slowestMs.get());
  }

  /** One client creating and uploading in a loop, retrying 503s and connection errors as a real client would. */
  private static final class Traffic implements Runnable {
    final Queue<String> accepted = new ConcurrentLinkedQueue<>();
    final Queue<String> violations = new ConcurrentLinkedQueue<>();
    final AtomicInteger unavailable = new AtomicInteger();
    final AtomicLong slowestMs = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final byte[] photo = Images.resource("pillow/hopper.jpg");
    private final Thread thread = new Thread(this, "outage-traffic");

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(Duration.ofSeconds(60).toMillis());
    }

    @Override
    public void run() {
      while (running.get()) {
        String id = UUID.randomUUID().toString();
        if (call(() -> api.send("PUT", "/image/" + id), 201, 200) && call(() -> api.upload(id, photo), 202)) {
          accepted.add(id);
        }
      }
    }

    /** Retries until one of {@code success}; false if traffic stopped first. */
    private boolean call(java.util.function.Supplier<ApiClient.Response> request, Integer... success) {
      while (running.get()) {
        long started = System.nanoTime();
        ApiClient.Response response;
        try {
          response = request.get();
        } catch (UncheckedIOException e) {
          violations.add("connection error from the API itself: " + e.getMessage());
          continue;
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        slowestMs.accumulateAndGet(ms, Math::max);
        if (ms > MAX_ANSWER_MS) {
          violations.add("answer after " + ms + " ms: " + response);
        }
        if (List.of(success).contains(response.status())) {
          return true;
        }
        if (response.status() == 503 && response.headers().firstValue("Retry-After").isPresent()
            && response.json().getString("error").equals("UNAVAILABLE")) {
          unavailable.incrementAndGet();
          continue;
        }
        violations.add("unexpected answer: " + response);
        return false;
      }
      return false;
    }
  }
}
