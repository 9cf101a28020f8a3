package dev.imagery.worker;

import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.AttemptLedger;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.metrics.ServiceMetrics;
import dev.imagery.shared.queue.JobQueue;
import dev.imagery.worker.image.MemoryBudget;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Long-polls the job queue and holds at most {@code maxInFlight} jobs at once: it asks SQS only for as many messages
 * as it has room for, and every job it holds is running (extending its message's visibility), never parked in a
 * buffer. Image work runs on a named, bounded worker pool of {@code concurrency} threads (one a core), never on the
 * event loop; a job holds a thread only while its image is processed, so more jobs than threads are in flight: while
 * some wait on DynamoDB, S3 or SQS, the others keep the cores busy.
 */
public final class WorkerVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);

  static final String POOL_NAME = "imagery-image-pool";
  private static final int MAX_BATCH = 10;
  private static final long MAX_BACKOFF_MS = 30_000;
  private static final long SHUTDOWN_MARGIN_MS = 3_000;

  private final ImageryConfig config;
  private final AwsClients aws;
  private final ServiceMetrics serviceMetrics;
  private final WorkerMetrics metrics;
  private final Map<Future<Void>, Message> inFlight = new HashMap<>();
  private final SoloGate soloGate = new SoloGate(inFlight::size);
  private Future<List<Message>> pendingReceive = Future.succeededFuture(List.of());
  private WorkerExecutor pool;
  private JobQueue queue;
  private JobProcessor processor;
  private Reconciler reconciler;
  private PollLoopLiveness liveness;
  private ManagementServer management;
  private MemoryBudget memory;
  private HeldBytes heldBytes;
  private boolean polling;
  private boolean stopping;
  private int consecutiveFailures;

  /** A worker with metrics of its own, for a Vert.x and clients that report nowhere. */
  public WorkerVerticle(ImageryConfig config, AwsClients aws) {
    this(config, aws, ServiceMetrics.create());
  }

  /** A worker whose metrics go to {@code metrics}, served at {@code /metrics} on its management port. */
  public WorkerVerticle(ImageryConfig config, AwsClients aws, ServiceMetrics metrics) {
    this.config = config;
    this.aws = aws;
    this.serviceMetrics = metrics;
    this.metrics = new WorkerMetrics(metrics.registry());
  }

  @Override
  public Future<?> start() {
    ImageryConfig.Worker worker = config.worker();
    pool = vertx.createSharedWorkerExecutor(POOL_NAME, worker.concurrency(), 10, TimeUnit.MINUTES);
    memory = new MemoryBudget(worker.memoryBudgetBytes());
    heldBytes = new HeldBytes(HeldBytes.defaultCapacity(Runtime.getRuntime().maxMemory()));
    logMemoryBudget(worker, Runtime.getRuntime().maxMemory());
    ImageStore store = new ImageStore(vertx, aws.dynamoDb(), config.resources().table(), Clock.systemUTC(),
        config.resources().retention());
    liveness = new PollLoopLiveness(stallAfter(config), System::nanoTime);
    management = new ManagementServer(vertx, config.management().host(), config.management().port(), this::liveness,
        serviceMetrics.scrapeHandler());
    metrics.watch(inFlight::size, worker.maxInFlight(), worker.concurrency(), memory);
    return management.start()
        .compose(listening -> JobQueue.resolve(vertx, aws.sqs(), config.resources().queue()))
        .onSuccess(resolved -> {
          queue = resolved;
          AttemptLedger ledger = new AttemptLedger(vertx, aws.dynamoDb(), config.resources().table());
          processor = new JobProcessor(vertx, pool, store, ledger, soloGate, queue, aws.s3(), config,
              Clock.systemUTC(), memory, heldBytes, metrics);
          metrics.watchDeadLetters(vertx, aws.sqs(), config.resources().deadLetterQueue(),
              config.management().deadLetterPoll());
          LOG.info("worker polling {}: {} threads in the image pool, at most {} jobs in flight, uploads and results"
              + " held outside the memory budget up to {} MiB; an image fails after {} attempts that never reported"
              + " back, or on the last of {} receives", queue.url(), worker.concurrency(), worker.maxInFlight(),
              mib(heldBytes.capacityBytes()), worker.maxAttempts(), config.resources().maxReceiveCount());
          if (worker.maxAttempts() >= config.resources().maxReceiveCount()) {
            LOG.warn("IMAGERY_MAX_ATTEMPTS ({}) is not below IMAGERY_MAX_RECEIVE_COUNT ({}): a poison job reaches the"
                + " dead-letter queue first and waits for the reconciler's requeue before it fails",
                worker.maxAttempts(), config.resources().maxReceiveCount());
          }
          poll();
          if (worker.reconcilerEnabled()) {
            reconciler = new Reconciler(vertx, store, queue, worker.reconcileAfter(), worker.reconcileInterval(),
                worker.maxRequeues(), Clock.systemUTC(), metrics);
            reconciler.start();
          }
        });
  }

  /**
   * Stops asking for work and finishes the jobs it holds, within the shutdown grace. Messages of jobs still running
   * then, and any a last long poll returns, are made visible again at once for another worker, instead of after
   * their visibility timeout.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    metrics.stop();
    if (reconciler != null) {
      reconciler.stop();
    }
    long graceMs = Math.max(1_000, config.shutdownTimeout().toMillis() - SHUTDOWN_MARGIN_MS);
    LOG.info("worker stopping: {} jobs in flight, {} ms to finish them", inFlight.size(), graceMs);
    List<Future<?>> held = new ArrayList<>(inFlight.keySet());
    held.add(pendingReceive);
    return Future.join(held)
        .<Void>mapEmpty()
        .timeout(graceMs, TimeUnit.MILLISECONDS)
        .recover(timedOut -> releaseUnfinished())
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close())
        // Answers liveness to the end: an orchestrator must not kill a worker that is draining.
        .eventually(() -> management == null ? Future.succeededFuture() : management.stop());
  }

  /** The management server's bound port; differs from the configured one when that was 0. */
  public int managementPort() {
    return management.actualPort();
  }

  /**
   * Longer than any one step of the poll loop can take: a receive ends within the SQS call timeout, a backoff within
   * {@link #MAX_BACKOFF_MS}; a minute on top for a slow machine.
   */
  static Duration stallAfter(ImageryConfig config) {
    return config.aws().sqsCallTimeout().plusMillis(MAX_BACKOFF_MS).plusMinutes(1);
  }

  private ManagementServer.Liveness liveness() {
    int slots = config.worker().maxInFlight();
    int free = slots - inFlight.size();
    // A job running alone holds the intake by design, and fewer free slots than a refill waits for the next job's
    // end: like a full worker, neither is a stall.
    boolean stalled = !stopping && liveness.stalled(soloGate.holdsIntake() || free < refill() ? 0 : free);
    JsonObject details = new JsonObject()
        .put("status", stalled ? "STALLED" : stopping ? "DRAINING" : "UP")
        .put("jobsInFlight", inFlight.size())
        .put("slots", slots)
        .put("poolThreads", config.worker().concurrency())
        .put("receiving", polling)
        .put("jobsWaitingToRunAlone", soloGate.waiting())
        .put("msSincePollLoopActivity", liveness.sinceActivity().toMillis())
        .put("stallAfterMs", liveness.stallAfter().toMillis());
    MemoryBudget.Snapshot budget = memory.snapshot();
    details
        .put("memoryBudgetBytes", budget.capacityBytes())
        .put("memoryReservedBytes", budget.reservedBytes())
        .put("jobsHoldingMemory", budget.holders())
        .put("jobsWaitingForMemory", budget.waiting())
        .put("jobsAdmittedAfterWaitingForMemory", budget.admittedAfterWaiting())
        .put("heldBytesCapacity", heldBytes.capacityBytes())
        .put("heldBytes", heldBytes.heldBytes())
        .put("jobsHoldingBytes", heldBytes.holders())
        .put("jobsWaitingToHoldBytes", heldBytes.waiting());
    return new ManagementServer.Liveness(!stalled, details);
  }

  /** What the operator needs to judge the budget: how it compares with the heap and with one image at the limit. */
  private static void logMemoryBudget(ImageryConfig.Worker worker, long maxHeap) {
    long budget = worker.memoryBudgetBytes();
    boolean isDefault = budget == ImageryConfig.Worker.defaultMemoryBudget(maxHeap, worker.maxDecodedBytes());
    LOG.info("worker memory budget for images: {} MiB{} of a {} MiB heap, for {} pool threads; one image may take up to {}"
            + " MiB (IMAGERY_MAX_DECODED_BYTES)", mib(budget),
        isDefault ? " (the default: two thirds of the heap, at least one image at the limit)" : "", mib(maxHeap),
        worker.concurrency(), mib(worker.maxDecodedBytes()));
    if (budget > maxHeap) {
      LOG.warn("the memory budget ({} MiB) is larger than the heap ({} MiB): it cannot keep concurrent images from"
          + " running the heap out; raise the heap (-Xmx, the container's memory) or lower"
          + " IMAGERY_WORKER_MEMORY_BUDGET_BYTES or IMAGERY_MAX_DECODED_BYTES", mib(budget), mib(maxHeap));
    }
    if (budget < worker.maxDecodedBytes()) {
      LOG.warn("the memory budget ({} MiB) is smaller than one image at the limit ({} MiB): such images run alone,"
          + " taking the whole budget", mib(budget), mib(worker.maxDecodedBytes()));
    }
  }

  private static long mib(long bytes) {
    return bytes / (1024 * 1024);
  }

  private Future<Void> releaseUnfinished() {
    List<Future<Void>> released = new ArrayList<>();
    inFlight.forEach((job, message) -> released.add(JobQueue.inContextOf(message, () -> processor.handBack(message))));
    return Future.join(released).mapEmpty();
  }

  /**
   * How many free slots make a receive worth its call: half the jobs in flight (at most a receive's 10), 1 when
   * the worker holds no more jobs than pool threads. A receive for every job that ends would be a call a job, one
   * of each job's seven; half the slots still leaves the pool a job in hand while the receive is on its way.
   */
  private int refill() {
    ImageryConfig.Worker worker = config.worker();
    if (worker.maxInFlight() <= worker.concurrency()) {
      return 1;
    }
    return Math.max(1, Math.min(MAX_BATCH, worker.maxInFlight() / 2));
  }

  private void poll() {
    int free = config.worker().maxInFlight() - inFlight.size();
    if (stopping || polling || free < refill() || soloGate.holdsIntake()) {
      return;
    }
    polling = true;
    liveness.touched();
    pendingReceive = queue.receive(Math.min(MAX_BATCH, free), config.worker().receiveWaitSeconds(),
        config.worker().visibilityTimeoutSeconds());
    pendingReceive
        .onComplete(received -> {
          liveness.touched();
          if (received.failed()) {
            long delay = backoffMs(++consecutiveFailures);
            LOG.warn("receive failed ({} in a row), retrying in {} ms: {}", consecutiveFailures, delay,
                received.cause().toString());
            // Still "polling" until the timer fires: a job finishing meanwhile must not skip the backoff.
            vertx.setTimer(delay, t -> {
              liveness.touched();
              polling = false;
              poll();
            });
            return;
          }
          polling = false;
          consecutiveFailures = 0;
          dispatch(received.result());
          poll();
        });
  }

  private void dispatch(List<Message> messages) {
    for (Message message : messages) {
      if (stopping) {
        // Received while stopping: hand it straight back instead of letting it sit out its visibility timeout.
        queue.changeVisibility(message, 0);
        continue;
      }
      metrics.received(message);
      // On a context of its own: its lines carry its image, message and trace ids (LogContext).
      Future<Void> job = JobQueue.inContextOf(message, () -> processor.handle(message));
      inFlight.put(job, message);
      job.onComplete(done -> {
        liveness.touched();
        inFlight.remove(job);
        soloGate.jobEnded();
        poll();
      });
    }
  }

  /** Exponential with full jitter, so a fleet of workers does not hammer a recovering backend in step. */
  static long backoffMs(int failures) {
    long ceiling = Math.min(MAX_BACKOFF_MS, 250L << Math.min(failures, 16));
    return ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1);
  }
}
