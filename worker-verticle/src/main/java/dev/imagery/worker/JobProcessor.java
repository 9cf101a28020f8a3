package dev.imagery.worker;

import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.AttemptLedger;
import dev.imagery.shared.image.ImageNotFoundException;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.TransitionConflictException;
import dev.imagery.shared.queue.JobMessage;
import dev.imagery.shared.queue.JobQueue;
import dev.imagery.worker.JobAttempt.DeadlinePassed;
import dev.imagery.worker.JobAttempt.Stage;
import dev.imagery.worker.image.ImagePipeline;
import dev.imagery.worker.image.JpegCodec;
import dev.imagery.worker.image.ImageRejectedException;
import dev.imagery.worker.image.MemoryBudget;
import dev.imagery.worker.image.PipelineOptions;
import dev.imagery.worker.image.ProcessedImage;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * One job: what a message means for the record decides the work. A job for an upload already processed, failed or
 * replaced by a newer upload is acknowledged without work (redeliveries are normal). An image that can never be
 * processed ends {@code failed} with a reason and its message is deleted; anything else leaves the message to come
 * back, until the image's chances are used up ({@link AttemptLimits}): then it ends {@code failed} too, so no job
 * leaves its image waiting for the dead-letter queue.
 */
final class JobProcessor {

  private static final Logger LOG = LoggerFactory.getLogger(JobProcessor.class);

  private final Vertx vertx;
  private final WorkerExecutor pool;
  private final ImageStore store;
  private final JobQueue queue;
  private final ImageObjects objects;
  private final ImageryConfig config;
  private final PipelineOptions options;
  private final AttemptLedger ledger;
  private final AttemptLimits limits;
  private final JobOutcomes outcomes;
  private final SoloGate soloGate;
  private final HeldBytes heldBytes;
  private final WorkerMetrics metrics;
  /** One for the worker: its calls share the worker's memory budget. */
  private final ImagePipeline pipeline;
  /** The jobs running now, by message id; confined to the verticle's context. */
  private final Map<String, Running> running = new HashMap<>();
  /** Messages handed back at shutdown: whatever their job does next must not hide them again. */
  private final Set<String> handedBack = new HashSet<>();

  /** A running job's heartbeat, and the record it works on (its attempt is counted against that upload). */
  private record Running(VisibilityHeartbeat heartbeat, ImageRecord record) {
  }

  JobProcessor(Vertx vertx, WorkerExecutor pool, ImageStore store, AttemptLedger ledger, SoloGate soloGate,
               JobQueue queue, S3AsyncClient s3, ImageryConfig config, Clock clock, MemoryBudget memory,
               HeldBytes heldBytes, WorkerMetrics metrics) {
    this.soloGate = soloGate;
    this.heldBytes = heldBytes;
    this.metrics = metrics;
    this.vertx = vertx;
    this.pool = pool;
    this.store = store;
    this.ledger = ledger;
    this.limits = new AttemptLimits(config.worker().maxAttempts(), config.resources().maxReceiveCount());
    this.outcomes = new JobOutcomes(store, ledger, queue, limits, config.worker().visibilityTimeoutSeconds(), metrics);
    this.queue = queue;
    this.objects = new ImageObjects(vertx, s3, config.resources().bucket(), clock, metrics);
    this.config = config;
    ImageryConfig.Worker worker = config.worker();
    this.options = new PipelineOptions(worker.maxPixels(), worker.outputFormat().name().toLowerCase(),
        worker.jpegQuality(), worker.thumbnailSize(), worker.maxDecodedBytes(), worker.maxJpegScans());
    JpegCodec codec = JpegCodec.valueOf(worker.jpegCodec().name());
    this.pipeline = new ImagePipeline(memory, codec);
    LOG.info("JPEG codec: {}", codec.describe());
  }

  /** Handles one message; never fails, whatever happened is logged and left to the queue. */
  Future<Void> handle(Message message) {
    Optional<JobMessage> parsed = JobMessage.parse(message.body());
    if (parsed.isEmpty()) {
      LOG.error("message={} receive={} is not a job, handing it back toward the dead-letter queue: {}",
          message.messageId(), JobQueue.receiveCount(message), abbreviate(message.body()));
      // No retry can help: visible again at once, it reaches the dead-letter queue after maxReceiveCount receives.
      return queue.changeVisibility(message, 0).recover(err -> Future.succeededFuture());
    }
    JobMessage job = parsed.get();
    // One conditional write decides whether there is work and counts the attempt: no read first.
    return ledger.begin(job.imageId(), job.uploadId())
        .compose(begun -> start(job, begun.record(), message, begun.attempts()),
            err -> err instanceof TransitionConflictException conflict ? notWaiting(job, message, conflict.current())
                : Future.failedFuture(err))
        .recover(err -> {
          if (handedBack.contains(message.messageId())) {
            LOG.info("image={} message={} interrupted after it was handed back at shutdown", job.imageId(),
                message.messageId());
            return Future.succeededFuture();
          }
          if (err instanceof ImageNotFoundException) {
            return dropForDeletedImage(job, message, "no such image (deleted, expired or never made)");
          }
          LOG.warn("image={} message={} receive={} failed, will retry: {}", job.imageId(), message.messageId(),
              JobQueue.receiveCount(message), SdkFutures.unwrap(err).toString());
          return outcomes.release(message, job.imageId());
        });
  }

  /** The image does not wait for this job's upload: it is being deleted, or has nothing for this job to do. */
  private Future<Void> notWaiting(JobMessage job, Message message, ImageRecord record) {
    return record.state() == ImageState.DELETING
        ? dropForDeletedImage(job, message, "the image is being deleted")
        : nothingToDo(job, message, record);
  }

  /** Counts an attempt; empty (and the message deleted) when the image no longer waits for this upload. */
  private Future<Optional<AttemptLedger.Attempts>> begin(JobMessage job, ImageRecord record, Message message) {
    return ledger.begin(record)
        .map(Optional::of)
        .recover(err -> err instanceof TransitionConflictException conflict
            ? nothingToDo(job, message, conflict.current()).map(done -> Optional.<AttemptLedger.Attempts>empty())
            : Future.failedFuture(err));
  }

  /**
   * A job for an image that is gone or going: nothing is processed, and whatever an earlier delivery of this job
   * stored (a worker that died between storing and committing) is deleted before the message is, so the deletion
   * leaves nothing behind.
   */
  private Future<Void> dropForDeletedImage(JobMessage job, Message message, String why) {
    LOG.info("image={} message={} upload={} dropping the job: {}", job.imageId(), message.messageId(),
        job.uploadId(), why);
    metrics.skipped(WorkerMetrics.DELETED);
    return objects.discardJob(job.imageId(), job.uploadId()).compose(discarded -> queue.delete(message));
  }

  private Future<Void> nothingToDo(JobMessage job, Message message, ImageRecord record) {
    LOG.info("image={} message={} upload={} nothing to do: image is {} with upload {}", job.imageId(),
        message.messageId(), job.uploadId(), record.state().wireName(), record.uploadId().orElse("-"));
    metrics.skipped(record.state().wireName());
    return queue.delete(message);
  }

  /**
   * This attempt is counted: fail the image if its earlier attempts used up its chances, else run the job; a suspect
   * (an earlier attempt never reported back) runs alone ({@link SoloGate}). A suspect that has to wait for its turn
   * gives its attempt back while it waits and counts it again when its turn comes, so that a worker dying meanwhile
   * (taken down by another suspect) does not cost it a chance it never used.
   */
  private Future<Void> start(JobMessage job, ImageRecord record, Message message, AttemptLedger.Attempts attempts) {
    Optional<String> exhausted = limits.exhaustedBeforeStart(attempts);
    if (exhausted.isPresent()) {
      return outcomes.failAndDelete(record, message, FailureReason.ATTEMPTS_EXHAUSTED, exhausted.get());
    }
    VisibilityHeartbeat heartbeat = VisibilityHeartbeat.start(vertx, queue, message, job.imageId(),
        config.worker().visibilityTimeoutSeconds(), config.worker().heartbeatInterval().toMillis(), metrics);
    running.put(message.messageId(), new Running(heartbeat, record));
    boolean suspect = attempts.unfinishedBefore() > 0;
    Future<Void> turn = suspect ? soloGate.awaitAlone() : Future.succeededFuture();
    Future<Optional<AttemptLedger.Attempts>> counted;
    if (turn.isComplete()) {
      counted = Future.succeededFuture(Optional.of(attempts));
    } else {
      LOG.warn("image={} message={} attempt {}: {} earlier attempts never reported back, it waits to run alone",
          job.imageId(), message.messageId(), attempts.number(), attempts.unfinishedBefore());
      counted = outcomes.ended(record, message)
          .compose(givenBack -> turn)
          .compose(alone -> begin(job, record, message));
    }
    return counted
        .compose(again -> again.isEmpty() ? Future.succeededFuture() : run(job, record, message, heartbeat, again.get()))
        .eventually(() -> {
          heartbeat.stop();
          running.remove(message.messageId());
          if (suspect) {
            soloGate.soloEnded(); // turn is granted by now: every path above waited for it
          }
          return Future.succeededFuture();
        })
        .recover(err -> retryLater(record, message, err));
  }

  private Future<Void> run(JobMessage job, ImageRecord record, Message message, VisibilityHeartbeat heartbeat,
                           AttemptLedger.Attempts attempts) {
    Optional<String> exhausted = limits.exhaustedBeforeStart(attempts);
    if (exhausted.isPresent()) {
      // Other workers' attempts, while it waited.
      return outcomes.failAndDelete(record, message, FailureReason.ATTEMPTS_EXHAUSTED, exhausted.get());
    }
    LOG.info("image={} message={} receive={} upload={} attempt {} started ({} unfinished before, limit {}){}",
        job.imageId(), message.messageId(), JobQueue.receiveCount(message), job.uploadId(), attempts.number(),
        attempts.unfinishedBefore(), limits.maxAttempts(), attempts.unfinishedBefore() > 0 ? ", alone" : "");
    return runWithDeadline(job, record, message, heartbeat);
  }

  private Future<Void> runWithDeadline(JobMessage job, ImageRecord record, Message message,
                                       VisibilityHeartbeat heartbeat) {
    long started = System.nanoTime();
    JobAttempt attempt = new JobAttempt();
    // The job's slot is freed when this completes: by the work itself, or by the deadline when the work is only
    // waiting on AWS (an SDK call may take minutes to time out; nothing of ours is held meanwhile).
    Promise<Void> finished = Promise.promise();
    long deadline = vertx.setTimer(config.worker().jobTimeout().toMillis(),
        t -> deadlinePassed(attempt, job, message, heartbeat, finished));
    work(job, record, message, attempt, started).onComplete(done -> {
      if (done.succeeded()) {
        finished.tryComplete();
      } else if (!finished.tryFail(done.cause())) {
        LOG.debug("image={} message={} ended after its deadline had handed it back: {}", job.imageId(),
            message.messageId(), SdkFutures.unwrap(done.cause()).toString());
      }
    });
    return finished.future().eventually(() -> {
      vertx.cancelTimer(deadline);
      return Future.succeededFuture();
    });
  }

  private Future<Void> retryLater(ImageRecord record, Message message, Throwable err) {
    if (handedBack.contains(message.messageId())) {
      LOG.info("image={} message={} interrupted after it was handed back at shutdown", record.id(),
          message.messageId());
      return Future.succeededFuture();
    }
    return outcomes.retryLater(record, message, err);
  }

  /**
   * Fetch, process, store, commit. Once the deadline has passed, no step starts: the image is marked failed if its
   * own processing overran; otherwise the job goes back to the queue (the deadline handed it back already, or, if
   * the decoder was reading the upload, this fails and {@link #handle} hands it back).
   */
  private Future<Void> work(JobMessage job, ImageRecord record, Message message, JobAttempt attempt, long started) {
    return process(record, attempt)
        .compose(result -> metrics.timed(WorkerMetrics.Stage.COMMIT, () -> store.markProcessed(record, result))
            .map(committed -> {
              metrics.processed(message);
              LOG.info("image={} message={} receive={} upload={} processed in {} ms", job.imageId(),
                  message.messageId(), JobQueue.receiveCount(message), job.uploadId(),
                  (System.nanoTime() - started) / 1_000_000);
              return (Void) null;
            })
            .recover(err -> err instanceof TransitionConflictException || err instanceof ImageNotFoundException
                ? superseded(record, result, err)
                : Future.failedFuture(err)))
        .recover(err -> {
          if (attempt.imageAtFault()) {
            return outcomes.fail(record, message, FailureReason.DEADLINE, "the image took longer than "
                + config.worker().jobTimeout().toSeconds() + " s to process");
          }
          return err instanceof ImageRejectedException rejected && !attempt.expired()
              ? outcomes.fail(record, message, FailureReason.of(rejected.reason()), rejected.getMessage())
              : Future.failedFuture(err);
        })
        .compose(done -> queue.delete(message));
  }

  /** The job's deadline ({@code IMAGERY_JOB_TIMEOUT_SECONDS}): the heartbeat stops; {@link JobAttempt} decides. */
  private void deadlinePassed(JobAttempt attempt, JobMessage job, Message message, VisibilityHeartbeat heartbeat,
                              Promise<Void> finished) {
    heartbeat.stop();
    if (handedBack.contains(message.messageId())) {
      return; // shutting down: the message is no longer ours
    }
    attempt.deadlinePassed(job.imageId(), message.messageId(), JobQueue.receiveCount(message),
        config.worker().jobTimeout().toSeconds(), finished);
  }

  /**
   * Room for the upload beside the other jobs' ({@link HeldBytes}), the download, a thread of the pool, the
   * pipeline, the two results stored. Every wait but the pipeline's is on the event loop: a job holds a pool thread
   * only while its image is processed, so the jobs in flight beyond the pool's threads keep it busy.
   */
  private Future<ImageRecord.Result> process(ImageRecord record, JobAttempt attempt) {
    ImageRecord.Upload upload = record.upload().orElseThrow();
    return heldBytes.acquire(upload.size())
        .compose(lease -> {
          attempt.held = lease;
          if (attempt.expired()) {
            return Future.failedFuture(DeadlinePassed.INSTANCE);
          }
          attempt.download = objects.download(upload);
          return attempt.download.bytes();
        })
        .compose(raw -> {
          attempt.download = null;
          if (attempt.expired()) {
            return Future.failedFuture(DeadlinePassed.INSTANCE);
          }
          attempt.stage = Stage.QUEUED;
          return pool.executeBlocking(() -> runPipeline(record, raw, attempt), false)
              // Whatever the pipeline's outcome, what follows (storing, committing processed or failed) waits on AWS.
              .andThen(done -> attempt.stage = Stage.STORING);
        })
        .compose(image -> {
          // The upload is let go of; the results are held until stored.
          attempt.held.resize((long) image.result().length + image.thumbnail().length);
          return attempt.expired() ? Future.failedFuture(DeadlinePassed.INSTANCE)
              : objects.store(record, upload, image);
        })
        .compose(result -> attempt.expired() ? Future.failedFuture(DeadlinePassed.INSTANCE)
            : Future.succeededFuture(result))
        .andThen(done -> attempt.releaseHeld());
  }

  /** On the worker pool: decoding, the filter and encoding burn CPU; the upload is in memory already. */
  private ProcessedImage runPipeline(ImageRecord record, byte[] raw, JobAttempt attempt) throws Exception {
    attempt.startPipeline();
    long delay = config.worker().faultProcessingDelay().toMillis();
    if (delay > 0) {
      // Test-only fault injection (IMAGERY_FAULT_PROCESSING_DELAY_MS): a slow image, on the worker pool.
      Thread.sleep(delay);
    }
    if (config.worker().faultTransientImageId().filter(record.id()::equals).isPresent()) {
      // Test-only fault injection (IMAGERY_FAULT_TRANSIENT_IMAGE_ID): a job that fails transiently on every receive.
      throw new java.io.IOException("a transient failure injected for tests (IMAGERY_FAULT_TRANSIENT_IMAGE_ID)");
    }
    if (config.worker().faultDecodeHangImageId().filter(record.id()::equals).isPresent()) {
      // Test-only fault injection (IMAGERY_FAULT_DECODE_HANG_IMAGE_ID): a decode that never ends unless aborted.
      attempt.abort.hangUntilAborted();
    }
    ProcessedImage image = pipeline.process(new ByteArrayInputStream(raw), options, attempt.abort, record.id());
    metrics.pipeline(image.times());
    return image;
  }

  /**
   * At shutdown, for a job that will not finish in time: stop extending its message and make it visible at once,
   * so another worker takes it now rather than after its visibility timeout.
   */
  Future<Void> handBack(Message message) {
    handedBack.add(message.messageId());
    Running job = running.remove(message.messageId());
    if (job == null) {
      return queue.changeVisibility(message, 0);
    }
    job.heartbeat().stop();
    LOG.warn("image={} message={} still running at shutdown: making it visible again", job.record().id(),
        message.messageId());
    // A shutdown is not the image's fault: the attempt ends, and costs the image none of its chances.
    Future<Void> ended = outcomes.ended(job.record(), message);
    return Future.join(ended, queue.changeVisibility(message, 0)).mapEmpty();
  }

  /**
   * A newer upload replaced ours while we worked, or the image is being (or was) deleted: our commit was refused,
   * and our results belong to nothing.
   */
  private Future<Void> superseded(ImageRecord record, ImageRecord.Result result, Throwable refusal) {
    LOG.info("image={} upload={} superseded or deleted while processing ({}), discarding the result", record.id(),
        record.uploadId().orElse("-"), refusal.getMessage());
    return objects.discard(result);
  }

  private static String abbreviate(String body) {
    return body.length() <= 200 ? body : body.substring(0, 200) + "...";
  }
}
