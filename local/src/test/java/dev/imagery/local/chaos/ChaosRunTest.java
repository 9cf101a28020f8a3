package dev.imagery.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.local.testing.Scrape;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The headline: two API processes and two worker processes; a retrying client uploads 200 images through both APIs
 * while one worker and one API are killed with SIGKILL (at 30% and 60% of the uploads) and started again on the
 * same ports. The last 20% of the uploads are released only once both restarted processes are ready, so that the
 * new processes on the old ports serve traffic too. Every accepted image must end {@code processed}, committed once
 * (version 2), with exactly its two results under the keys of its upload; nothing may reach the dead-letter queue.
 * One summary line is printed and appended to {@code target/chaos-logs/chaos-summary.log}.
 *
 * <p>The services' counts come from their {@code /metrics}, as an operator's Prometheus would read them: each
 * process is scraped just before it is killed and at the end. A SIGKILL loses what a process counted after its last
 * scrape; the accounting below allows for exactly that.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ChaosRunTest {

  private static final int IMAGES = 200;
  private static final int CLIENT_THREADS = 8;
  private static final List<String> IMAGE_FILES =
      List.of("pillow/hopper.jpg", "pngsuite/basn2c08.png", "pngsuite/basn6a08.png");
  private static final Duration UPLOAD_PATIENCE = Duration.ofSeconds(150);
  private static final Duration FINAL_TIMEOUT = Duration.ofSeconds(120);
  private static final Set<ImageState> FINAL = Set.of(ImageState.PROCESSED, ImageState.FAILED);

  /**
   * Each job takes at least this long on a worker: four slots then process about 8 images a second, less than the
   * client uploads, so a backlog builds and a killed worker dies holding jobs.
   */
  private static final Map<String, String> WORKER_ENV = Map.of("IMAGERY_FAULT_PROCESSING_DELAY_MS", "500");
  /** Uploads held back until the killed processes are back. */
  private static final int AFTER_RESTART = IMAGES / 5;

  private ChaosStack stack;
  private ExecutorService clients;

  @BeforeEach
  void startStack() {
    stack = ChaosStack.start("ChaosRunTest", Map.of(
        // A killed worker's messages come back within 10 s; killed or restarted workers poll every 2 s.
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", "10",
        "IMAGERY_RECEIVE_WAIT_SECONDS", "2",
        "IMAGERY_WORKER_CONCURRENCY", "2",
        // No reconciler: only the client's retries may heal an upload cut short (an image stuck in uploaded shows).
        "IMAGERY_RECONCILE_AFTER_SECONDS", "0",
        // The workers' dead-letter gauge, read at the end, is at most a second old.
        "IMAGERY_DEAD_LETTER_POLL_SECONDS", "1"));
  }

  @AfterEach
  void stopStack() {
    if (clients != null) {
      clients.shutdownNow();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void everyAcceptedImageIsProcessedOnceWhileWorkersAndApisAreKilled() throws Exception {
    long started = System.nanoTime();
    int[] ports = {ServiceProcess.freePort(), ServiceProcess.freePort()};
    ServiceProcess api1 = stack.startApi("api-1", ports[0], Map.of());
    ServiceProcess api2 = stack.startApi("api-2", ports[1], Map.of());
    ServiceProcess worker1 = stack.startWorker("worker-1", WORKER_ENV);
    ServiceProcess worker2 = stack.startWorker("worker-2", WORKER_ENV);
    for (ServiceProcess process : List.of(api1, api2, worker1, worker2)) {
      process.awaitReady(ChaosStack.START_TIMEOUT);
    }

    // ---------------------------------------------------------------------------------- the client
    long uploadsStarted = System.nanoTime();
    Map<String, byte[]> images = new HashMap<>();
    IMAGE_FILES.forEach(file -> images.put(file, Images.resource(file)));
    ApiClient http = ApiClient.localhost(ports[0], Duration.ofSeconds(20));
    RetryingClient client = new RetryingClient(ports, UPLOAD_PATIENCE);
    Map<String, String> accepted = new ConcurrentHashMap<>();
    Queue<Throwable> clientFailures = new ConcurrentLinkedQueue<>();
    AtomicInteger finishedClients = new AtomicInteger();
    clients = Executors.newFixedThreadPool(CLIENT_THREADS);
    List<Runnable> work = new ArrayList<>();
    for (int i = 0; i < IMAGES; i++) {
      int n = i;
      String id = UUID.randomUUID().toString();
      String file = IMAGE_FILES.get(i % IMAGE_FILES.size());
      work.add(() -> {
        try {
          // Image n starts on API n % 2; every retry goes to the other one.
          client.call("create " + id, n, port -> http.at(port).create(id), status -> status == 201 || status == 200);
          ApiClient.Response answer = client.call("upload " + id, n,
              port -> http.at(port).upload(id, images.get(file)), status -> status == 202);
          JsonObject record = answer.json();
          if (!id.equals(record.getString("id"))
              || !Set.of("uploaded", "processed").contains(record.getString("state"))) {
            throw new AssertionError("upload of " + id + " answered 202 with " + answer.body());
          }
          accepted.put(id, file);
        } catch (Throwable failure) {
          clientFailures.add(failure);
        } finally {
          finishedClients.incrementAndGet();
        }
      });
    }
    List<Future<?>> uploads = new ArrayList<>();
    work.subList(0, IMAGES - AFTER_RESTART).forEach(upload -> uploads.add(clients.submit(upload)));

    // ---------------------------------------------------------------------------------- the chaos
    awaitAccepted("30% of the uploads", accepted, clientFailures, IMAGES * 3 / 10);
    int acceptedAtWorkerKill = accepted.size();
    Scrape worker1Last = worker1.metrics();
    long worker1Scraped = System.nanoTime();
    worker1.kill9();
    long worker1Unscraped = System.nanoTime() - worker1Scraped;
    int jobsHeldAtWorkerKill = (int) worker1Last.sum("imagery_worker_jobs_in_flight");
    ServiceProcess worker1Again = stack.restart(worker1);

    awaitAccepted("60% of the uploads", accepted, clientFailures, IMAGES * 6 / 10);
    int acceptedAtApiKill = accepted.size();
    Scrape api1Last = api1.metrics();
    api1.kill9();
    ServiceProcess api1Again = stack.restart(api1);

    worker1Again.awaitReady(ChaosStack.START_TIMEOUT);
    api1Again.awaitReady(ChaosStack.START_TIMEOUT);
    int acceptedWhenBackUp = accepted.size();
    work.subList(IMAGES - AFTER_RESTART, IMAGES).forEach(upload -> uploads.add(clients.submit(upload)));

    long uploadDeadline = uploadsStarted + UPLOAD_PATIENCE.plusSeconds(30).toNanos();
    for (Future<?> upload : uploads) {
      try {
        upload.get(Math.max(1, uploadDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("the client was still uploading " + UPLOAD_PATIENCE + " after it started ("
            + accepted.size() + " accepted, " + finishedClients.get() + " finished)");
      }
    }
    double uploadSeconds = (System.nanoTime() - uploadsStarted) / 1e9;

    // ---------------------------------------------------------------------------------- the outcome
    Map<String, ImageRecord> records = Poll.lastUntil(FINAL_TIMEOUT, Duration.ofSeconds(1), stack::allRecords,
        all -> accepted.keySet().stream().allMatch(id -> all.containsKey(id) && FINAL.contains(all.get(id).state())));
    ChaosStack.QueueCounts jobsLeft = Poll.lastUntil(Duration.ofSeconds(30), Duration.ofMillis(500), stack::jobs,
        counts -> counts.total() == 0);
    ChaosStack.QueueCounts deadLetters = stack.deadLetters();
    // Read again: an image may have finished while the queue drained.
    records = stack.allRecords();
    List<String> processedKeys = stack.keys("processed/");
    List<String> rawKeys = stack.keys("raw/");

    List<String> processed = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    List<String> lost = new ArrayList<>();
    for (String id : accepted.keySet()) {
      ImageRecord record = records.get(id);
      if (record == null || !FINAL.contains(record.state())) {
        lost.add(id);
      } else if (record.state() == ImageState.PROCESSED) {
        processed.add(id);
      } else {
        failed.add(id);
      }
    }
    Map<String, List<String>> resultKeysByImage = processedKeys.stream()
        .collect(Collectors.groupingBy(key -> key.split("/")[1]));
    Set<String> committedKeys = new HashSet<>();
    Set<String> rawKeysOfRecords = new HashSet<>();
    records.values().forEach(record -> {
      record.result().ifPresent(r -> {
        committedKeys.add(r.resultKey());
        committedKeys.add(r.thumbnailKey());
      });
      record.upload().ifPresent(u -> rawKeysOfRecords.add(u.rawKey()));
    });
    List<String> duplicated = new ArrayList<>();
    List<String> missingResults = new ArrayList<>();
    for (String id : processed) {
      ImageRecord record = records.get(id);
      ImageRecord.Result result = record.result().orElseThrow();
      String uploadId = record.uploadId().orElseThrow();
      List<String> keys = resultKeysByImage.getOrDefault(id, List.of());
      if (record.version() != 2 || keys.size() > 2) {
        duplicated.add(id + " (version " + record.version() + ", results " + keys + ")");
      }
      if (!keys.contains(result.resultKey()) || !keys.contains(result.thumbnailKey())
          || !result.resultKey().startsWith("processed/" + id + "/" + uploadId + ".")
          || !result.thumbnailKey().equals("processed/" + id + "/" + uploadId + "-thumb.jpg")) {
        missingResults.add(id + " (upload " + uploadId + ", record " + result.resultKey() + " + "
            + result.thumbnailKey() + ", bucket " + keys + ")");
      }
    }
    List<String> orphanedResults = processedKeys.stream().filter(key -> !committedKeys.contains(key)).toList();
    List<String> orphanedRaw = rawKeys.stream().filter(key -> !rawKeysOfRecords.contains(key)).toList();
    // Each process's last word: the killed ones' before their kill, the others' now.
    List<Scrape> workerScrapes = List.of(worker1Last, worker1Again.metrics(), worker2.metrics());
    List<Scrape> apiScrapes = List.of(api1Last, api1Again.metrics(), api2.metrics());
    double commits = total(workerScrapes, "imagery_worker_images_processed_total");
    long redone = Math.max(0, Math.round(commits) - processed.size());
    Map<String, Long> receivesOfCommits = receivesOfCommits(workerScrapes);
    // Each image's time in "uploaded": from its upload to the record's final transition.
    Duration longestWait = accepted.keySet().stream()
        .map(records::get)
        .filter(record -> record != null && FINAL.contains(record.state()) && record.upload().isPresent())
        .map(record -> Duration.between(record.upload().get().uploadedAt(), record.updatedAt()))
        .max(Duration::compareTo).orElse(Duration.ZERO);
    long duplicateJobs = Math.round(total(workerScrapes, "imagery_worker_jobs_skipped_total", "state", "processed"));
    String cut = cutUploads(api1, records);

    String summary = String.format(Locale.ROOT,
        "chaos: %d accepted, %d processed, %d failed, %d lost (every accepted image final: %s), longest wait in "
            + "uploaded %.1f s, %d duplicated, %d orphaned results, "
            + "%d missing results, %d orphaned raw, %d dead letters, %d jobs left; "
            + "kills: 1 worker (at %d accepted, holding %d jobs) 1 api (at %d accepted; %s), both back at %d "
            + "accepted; metrics: %.0f commits (%d more than images), %d duplicate jobs acknowledged without work, "
            + "commits by receive count %s; client: %s; uploads %.1f s, total %.1f s",
        accepted.size(), processed.size(), failed.size(), lost.size(), lost.isEmpty() ? "yes" : "NO",
        longestWait.toMillis() / 1000.0, duplicated.size(), orphanedResults.size(),
        missingResults.size(), orphanedRaw.size(), deadLetters.total(), jobsLeft.total(),
        acceptedAtWorkerKill, jobsHeldAtWorkerKill, acceptedAtApiKill, cut, acceptedWhenBackUp,
        commits, redone, duplicateJobs, receivesOfCommits, client.retrySummary(), uploadSeconds,
        (System.nanoTime() - started) / 1e9);
    System.out.println(summary);
    ChaosStack.appendToRunLog("chaos-summary.log", Instant.now() + " " + summary);
    for (String sample : client.serverErrorSamples()) {
      System.out.println("  5xx " + sample);
      ChaosStack.appendToRunLog("chaos-summary.log", "  5xx " + sample);
    }
    for (String key : orphanedRaw) {
      String uploadId = key.substring(key.lastIndexOf('/') + 1);
      String details = "  orphaned raw " + key + "\n" + mentions(uploadId);
      System.out.println(details);
      ChaosStack.appendToRunLog("chaos-summary.log", details);
    }
    if (!lost.isEmpty()) {
      String details = describe(lost, records);
      System.out.println(details);
      ChaosStack.appendToRunLog("chaos-summary.log", details);
    }

    // ---------------------------------------------------------------------------------- the guarantees
    if (!clientFailures.isEmpty()) {
      throw new AssertionError(clientFailures.size() + " uploads failed in the client; the first: "
          + clientFailures.peek(), clientFailures.peek());
    }
    assertThat(accepted).as("accepted uploads").hasSize(IMAGES);
    assertThat(lost).as("accepted images not final after %s:\n%s", FINAL_TIMEOUT, describe(lost, records)).isEmpty();
    assertThat(failed).as("failed images").isEmpty();
    assertThat(deadLetters.total()).as("dead letters").isZero();
    assertThat(duplicated).as("images committed more than once or with more than one result").isEmpty();
    assertThat(missingResults).as("processed images without their two results under their upload's keys")
        .isEmpty();
    assertThat(orphanedResults).as("results no record points to").isEmpty();
    assertThat(jobsLeft.total()).as("jobs left in the queue").isZero();
    assertThat(api1Again.isAlive() && worker1Again.isAlive() && api2.isAlive() && worker2.isAlive())
        .as("the restarted and surviving services still run").isTrue();
    assertMetricsAgree(apiScrapes, workerScrapes, processed.size(), jobsHeldAtWorkerKill, worker1Unscraped,
        List.of(worker1Again, worker2));

    // The API view agrees, through both APIs (the restarted one on its old port included).
    RetryingClient reader = new RetryingClient(ports, Duration.ofSeconds(60));
    int n = 0;
    for (String id : accepted.keySet()) {
      JsonObject record = reader.call("get " + id, n++, port -> http.at(port).get("/image/" + id),
          status -> status == 200).json();
      assertThat(record.getString("state")).as("state of %s through the API", id).isEqualTo("processed");
      assertThat(record.getLong("version")).as("version of %s through the API", id).isEqualTo(2);
    }
  }

  /**
   * What the services' /metrics say agrees with the backend, and the dashboard's series moved in every process that
   * served traffic (the restarted ones too).
   */
  private static void assertMetricsAgree(List<Scrape> apis, List<Scrape> workers, int processed, int heldAtKill,
                                         long killWindowNanos, List<ServiceProcess> liveWorkers) {
    assertThat(total(workers, "imagery_worker_images_failed_total")).as("failures by any reason").isZero();
    // Every processed image was counted by the worker that committed it, unless that worker was killed after its
    // last scrape: those are jobs it held then (a job takes 500 ms, longer than the scrape-to-kill window).
    if (killWindowNanos < TimeUnit.MILLISECONDS.toNanos(400)) {
      assertThat(total(workers, "imagery_worker_images_processed_total")).as("commits counted by the workers")
          .isGreaterThanOrEqualTo(processed - heldAtKill);
    }
    for (Scrape api : apis.subList(1, apis.size())) {
      assertThat(api.sum("vertx_http_server_requests_total", "route", "/image/:id/upload", "code", "202"))
          .as("202s of the upload route").isPositive();
      assertThat(api.sum("vertx_http_server_response_time_seconds_count", "route", "/image/:id/upload"))
          .as("the upload route's latency histogram").isPositive();
      assertThat(api.sum("imagery_upload_size_bytes_count")).as("upload sizes").isPositive();
      assertThat(api.sum("imagery_aws_call_duration_seconds_count", "service", "SQS", "operation", "SendMessage"))
          .as("SQS sends").isPositive();
    }
    for (Scrape worker : workers.subList(1, workers.size())) {
      assertThat(worker.sum("imagery_worker_images_processed_total")).as("images processed").isPositive();
      assertThat(worker.sum("imagery_worker_queue_wait_seconds_count")).as("queue waits").isPositive();
      for (String stage : List.of("download", "decode", "filter", "encode", "thumbnail", "upload", "commit")) {
        assertThat(worker.sum("imagery_worker_stage_duration_seconds_count", "stage", stage)).as("stage %s", stage)
            .isPositive();
      }
      assertThat(worker.sum("imagery_aws_call_duration_seconds_count", "service", "SQS", "operation",
          "ReceiveMessage")).as("long polls").isPositive();
    }
    // The workers' gauge of the dead-letter queue (read from SQS every second): empty, as the queue itself is.
    for (ServiceProcess worker : liveWorkers) {
      Scrape last = Poll.lastUntil(Duration.ofSeconds(10), Duration.ofMillis(500), worker::metrics,
          scrape -> scrape.sum("imagery_dead_letter_messages") == 0);
      assertThat(last.matching("imagery_dead_letter_messages")).as("%s's dead-letter gauge", worker.name())
          .singleElement().extracting(Scrape.Sample::value).isEqualTo(0.0);
    }
  }

  private static double total(List<Scrape> scrapes, String name, String... labels) {
    return scrapes.stream().mapToDouble(scrape -> scrape.sum(name, labels)).sum();
  }

  /** Commits by the receive they came on, from the workers' histogram: 1, 2, 3, then more. */
  private static Map<String, Long> receivesOfCommits(List<Scrape> workers) {
    Map<String, Long> byReceive = new LinkedHashMap<>();
    double below = 0;
    for (String le : List.of("1.0", "2.0", "3.0", "+Inf")) {
      double upTo = total(workers, "imagery_worker_processed_receives_bucket", "le", le);
      byReceive.put(le.equals("+Inf") ? ">3" : le.substring(0, 1), Math.round(upTo - below));
      below = upTo;
    }
    return byReceive;
  }

  private void awaitAccepted(String what, Map<String, String> accepted, Queue<Throwable> failures, int count) {
    Poll.await(what + " to be accepted", UPLOAD_PATIENCE, Duration.ofMillis(20), accepted::size,
        size -> size >= count || !failures.isEmpty());
    if (!failures.isEmpty()) {
      throw new AssertionError("an upload failed in the client: " + failures.peek(), failures.peek());
    }
  }

  /**
   * The uploads the killed API had stored in S3 but not finished (no "queued" line): cut before its DynamoDB write
   * (the record points to another upload: its raw object is orphaned) or after it (the record points to this
   * upload, whose job only the client's retry can send).
   */
  private static String cutUploads(ServiceProcess killedApi, Map<String, ImageRecord> records) {
    Pattern stored = Pattern.compile("image=(\\S+) upload=(\\S+) stored");
    String log = killedApi.logText();
    int beforeCommit = 0;
    int afterCommit = 0;
    for (String line : killedApi.logLines(stored)) {
      Matcher matcher = stored.matcher(line);
      matcher.find();
      String id = matcher.group(1);
      String uploadId = matcher.group(2);
      if (log.contains("image=" + id + " upload=" + uploadId + " message=")) {
        continue;
      }
      ImageRecord record = records.get(id);
      if (record != null && record.uploadId().filter(uploadId::equals).isPresent()) {
        afterCommit++;
      } else {
        beforeCommit++;
      }
    }
    return "cut " + (beforeCommit + afterCommit) + " uploads after S3: " + beforeCommit + " before the DynamoDB write, "
        + afterCommit + " between it and the SQS send";
  }

  /** What the backend and the logs say about images that did not end final. */
  private String describe(List<String> ids, Map<String, ImageRecord> records) {
    StringBuilder out = new StringBuilder();
    for (String id : ids) {
      ImageRecord record = records.get(id);
      out.append("  lost ").append(id).append(": ").append(record == null ? "no record"
          : record.state().wireName() + " v" + record.version() + " upload " + record.uploadId().orElse("-")
              + " updated " + record.updatedAt()).append('\n');
      out.append(mentions(id));
    }
    return out.toString();
  }

  /** Every log line of every service process that mentions {@code text}. */
  private String mentions(String text) {
    StringBuilder out = new StringBuilder();
    Pattern pattern = Pattern.compile(Pattern.quote(text));
    for (ServiceProcess process : stack.processes()) {
      process.logLines(pattern).forEach(line -> out.append("    ").append(process.log().getFileName())
          .append(": ").append(line).append('\n'));
    }
    if (out.length() == 0) {
      out.append("    (no log line mentions it)\n");
    }
    return out.toString();
  }
}
