package dev.imagery.worker;

import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.queue.JobQueue;
import dev.imagery.worker.image.MemoryBudget;
import dev.imagery.worker.image.StageTimes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * The worker's own metrics ({@code imagery_worker_*}, {@code imagery_reconciler_*}, {@code imagery_dead_letter_*};
 * every name is in the README's Metrics section). The job code holds this one collaborator and makes one call per
 * event; nothing here carries an image or message id, so every series stays one of a fixed few. Thread-safe
 * (Micrometer's meters are), so the image pool's threads record as well as the event loop.
 */
final class WorkerMetrics {

  /** A stage of one job, as its {@code stage} label says. */
  enum Stage {
    /** S3 GetObject of the upload, to its response (the body is read by the decoder, within decode). */
    DOWNLOAD,
    DECODE, FILTER, ENCODE, THUMBNAIL,
    /** S3 PutObject of the result and the thumbnail, side by side. */
    UPLOAD,
    /** The conditional DynamoDB write that marks the image processed. */
    COMMIT;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The {@code state} of a skipped job whose image is gone or going (deleted, expired, being deleted, never made). */
  static final String DELETED = "deleted";

  private final MeterRegistry registry;
  private final Map<Stage, Timer> stages = new EnumMap<>(Stage.class);
  private final Map<FailureReason, Counter> failures = new EnumMap<>(FailureReason.class);
  private final Map<String, Counter> skipped;
  private final Timer firstDeliveryWait;
  private final Timer redeliveryWait;
  private final Counter processed;
  private final DistributionSummary processedReceives;
  private final Counter retried;
  private final Counter extended;
  private final Counter notExtended;
  private final Counter requeued;
  private DeadLetterDepth deadLetters;

  WorkerMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Stage stage : Stage.values()) {
      stages.put(stage, Timer.builder("imagery.worker.stage.duration")
          .description("Time of each stage of a job that completed it")
          .tag("stage", stage.label())
          .register(registry));
    }
    // Every reason from the start, at zero: a dashboard's rate() then sees the first failure of a kind.
    for (FailureReason reason : FailureReason.values()) {
      failures.put(reason, Counter.builder("imagery.worker.images.failed")
          .description("Images this worker (or its reconciler) marked failed, by reason")
          .tag("reason", reason.label())
          .register(registry));
    }
    skipped = new HashMap<>();
    skipped.put(DELETED, skippedCounter(DELETED));
    for (ImageState state : ImageState.values()) {
      skipped.put(state.wireName(), skippedCounter(state.wireName()));
    }
    firstDeliveryWait = queueWait("first");
    redeliveryWait = queueWait("redelivery");
    processed = Counter.builder("imagery.worker.images.processed")
        .description("Images this worker committed processed (a redelivered job that redid the work counts again)")
        .register(registry);
    processedReceives = DistributionSummary.builder("imagery.worker.processed.receives")
        .description("Receives of a job (SQS ApproximateReceiveCount) when it committed its image processed")
        .register(registry);
    retried = Counter.builder("imagery.worker.job.retries")
        .description("Attempts that failed transiently (S3, DynamoDB, a deadline spent waiting on them) and were "
            + "handed back to the queue for a later receive")
        .register(registry);
    extended = visibility("extended");
    notExtended = visibility("error");
    requeued = Counter.builder("imagery.reconciler.requeues")
        .description("Jobs the reconciler queued again for images left waiting in uploaded (claims it won)")
        .register(registry);
  }

  private Counter skippedCounter(String state) {
    return Counter.builder("imagery.worker.jobs.skipped")
        .description("Jobs acknowledged without work, by the state their image was in (or missing): redeliveries, "
            + "duplicates, jobs of replaced uploads")
        .tag("state", state)
        .register(registry);
  }

  private Timer queueWait(String delivery) {
    return Timer.builder("imagery.worker.queue.wait")
        .description("From the job's send (SQS SentTimestamp) to its receive; a redelivery counts from the first send")
        .tag("delivery", delivery)
        .register(registry);
  }

  private Counter visibility(String outcome) {
    return Counter.builder("imagery.worker.visibility.extensions")
        .description("Visibility extensions of the messages of running jobs (the heartbeat)")
        .tag("outcome", outcome)
        .register(registry);
  }

  /**
   * The worker's state, read at each scrape: jobs in flight of its slots, the threads of its image pool, and its
   * memory budget for images.
   */
  void watch(IntSupplier inFlight, int slots, int poolThreads, MemoryBudget memory) {
    Gauge.builder("imagery.worker.jobs.in.flight", () -> inFlight.getAsInt())
        .description("Jobs this worker holds now (running, or waiting for memory or to run alone)")
        .register(registry);
    Gauge.builder("imagery.worker.slots", () -> slots)
        .description("Jobs this worker holds at once at most (IMAGERY_WORKER_MAX_IN_FLIGHT)")
        .register(registry);
    Gauge.builder("imagery.worker.pool.threads", () -> poolThreads)
        .description("Images this worker processes at once at most: its image pool (IMAGERY_WORKER_CONCURRENCY)")
        .register(registry);
    Gauge.builder("imagery.worker.memory.budget", () -> memory.snapshot().capacityBytes())
        .description("The memory budget all of this worker's images share (IMAGERY_WORKER_MEMORY_BUDGET_BYTES)")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("imagery.worker.memory.reserved", () -> memory.snapshot().reservedBytes())
        .description("The part of the memory budget that running images hold (their estimates)")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("imagery.worker.jobs.waiting.for.memory", () -> memory.snapshot().waiting())
        .description("Jobs waiting for room in the memory budget")
        .register(registry);
  }

  /** Reads the dead-letter queue's depth now and every {@code interval} (none when zero), until {@link #stop}. */
  void watchDeadLetters(Vertx vertx, SqsAsyncClient sqs, String queueName, Duration interval) {
    if (!interval.isZero()) {
      deadLetters = new DeadLetterDepth(vertx, sqs, queueName, interval, registry);
      deadLetters.start();
    }
  }

  void stop() {
    if (deadLetters != null) {
      deadLetters.stop();
    }
  }

  /** A job was received: how long it waited in the queue. */
  void received(Message message) {
    String sent = message.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP);
    if (sent == null) {
      return;
    }
    // SQS's clock and ours: a negative wait is skew, not time travel.
    long waitedMs = Math.max(0, System.currentTimeMillis() - Long.parseLong(sent));
    (JobQueue.receiveCount(message) > 1 ? redeliveryWait : firstDeliveryWait).record(waitedMs, TimeUnit.MILLISECONDS);
  }

  /** Runs {@code step} and records its time under {@code stage} if it succeeds; returns its outcome as it is. */
  <T> Future<T> timed(Stage stage, Supplier<Future<T>> step) {
    long started = System.nanoTime();
    return step.get().onSuccess(done -> stages.get(stage).record(System.nanoTime() - started, TimeUnit.NANOSECONDS));
  }

  /** The pipeline's stages of one image. */
  void pipeline(StageTimes times) {
    stages.get(Stage.DECODE).record(times.decodeNanos(), TimeUnit.NANOSECONDS);
    stages.get(Stage.FILTER).record(times.filterNanos(), TimeUnit.NANOSECONDS);
    stages.get(Stage.ENCODE).record(times.encodeNanos(), TimeUnit.NANOSECONDS);
    stages.get(Stage.THUMBNAIL).record(times.thumbnailNanos(), TimeUnit.NANOSECONDS);
  }

  /** The job committed its image processed. */
  void processed(Message message) {
    processed.increment();
    processedReceives.record(JobQueue.receiveCount(message));
  }

  /** An image was marked failed (written, not found failed already). */
  void failed(FailureReason reason) {
    failures.get(reason).increment();
  }

  /** A job was acknowledged without work; {@code state} is its image's, or {@link #DELETED}. */
  void skipped(String state) {
    Counter counter = skipped.get(state);
    if (counter != null) {
      counter.increment();
    }
  }

  /** An attempt failed transiently; its message goes back to the queue. */
  void retried() {
    retried.increment();
  }

  /** The heartbeat extended a message's visibility, or failed to. */
  void visibilityExtended(boolean ok) {
    (ok ? extended : notExtended).increment();
  }

  /** The reconciler queued a job again. */
  void requeued() {
    requeued.increment();
  }
}
