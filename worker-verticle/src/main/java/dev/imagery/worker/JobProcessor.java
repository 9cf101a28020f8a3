package dev.imagery.worker;

import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.ImageNotFoundException;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.ObjectKeys;
import dev.imagery.shared.image.TransitionConflictException;
import dev.imagery.shared.queue.JobMessage;
import dev.imagery.shared.queue.JobQueue;
import dev.imagery.worker.image.AbortHandle;
import dev.imagery.worker.image.ImagePipeline;
import dev.imagery.worker.image.ImageRejectedException;
import dev.imagery.worker.image.MemoryBudget;
import dev.imagery.worker.image.PipelineOptions;
import dev.imagery.worker.image.ProcessedImage;
import dev.imagery.worker.image.RejectReason;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.InputStream;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * One job: what a message means for the record decides the work. A job for an upload already processed, failed or
 * replaced by a newer upload is acknowledged without work (redeliveries are normal). An image that can never be
 * processed ends {@code failed} with a reason and its message is deleted; anything else leaves the message to come
 * back, and after the queue's maxReceiveCount it moves to the dead-letter queue.
 */
final class JobProcessor {

  private static final Logger LOG = LoggerFactory.getLogger(JobProcessor.class);

  private final Vertx vertx;
  private final WorkerExecutor pool;
  private final ImageStore store;
  private final JobQueue queue;
  private final S3AsyncClient s3;
  private final ImageryConfig config;
  private final Clock clock;
  private final PipelineOptions options;
  /** One for the worker: its calls share the worker's memory budget. */
  private final ImagePipeline pipeline;
  /** Heartbeats of the jobs running now, by message id; confined to the verticle's context. */
  private final Map<String, VisibilityHeartbeat> heartbeats = new HashMap<>();
  /** Messages handed back at shutdown: whatever their job does next must not hide them again. */
  private final Set<String> handedBack = new HashSet<>();

  JobProcessor(Vertx vertx, WorkerExecutor pool, ImageStore store, JobQueue queue, S3AsyncClient s3,
               ImageryConfig config, Clock clock, MemoryBudget memory) {
    this.vertx = vertx;
    this.pipeline = new ImagePipeline(memory);
    this.pool = pool;
    this.store = store;
    this.queue = queue;
    this.s3 = s3;
    this.config = config;
    this.clock = clock;
    ImageryConfig.Worker worker = config.worker();
    this.options = new PipelineOptions(worker.maxPixels(), worker.outputFormat().name().toLowerCase(),
        worker.jpegQuality(), worker.thumbnailSize(), worker.maxDecodedBytes(), worker.maxJpegScans());
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
    return store.get(job.imageId())
        .compose(record -> decide(job, record, message))
        .recover(err -> {
          if (handedBack.contains(message.messageId())) {
            LOG.info("image={} message={} interrupted after it was handed back at shutdown", job.imageId(),
                message.messageId());
            return Future.succeededFuture();
          }
          if (err instanceof ImageNotFoundException) {
            LOG.warn("image={} message={} no such image, dropping the job", job.imageId(), message.messageId());
            return queue.delete(message);
          }
          LOG.warn("image={} message={} receive={} failed, will retry: {}", job.imageId(), message.messageId(),
              JobQueue.receiveCount(message), SdkFutures.unwrap(err).toString());
          return release(message, job.imageId());
        });
  }

  private Future<Void> decide(JobMessage job, ImageRecord record, Message message) {
    boolean current = record.uploadId().filter(job.uploadId()::equals).isPresent();
    if (!current || record.state() != ImageState.UPLOADED) {
      LOG.info("image={} message={} upload={} nothing to do: image is {} with upload {}", job.imageId(),
          message.messageId(), job.uploadId(), record.state().wireName(), record.uploadId().orElse("-"));
      return queue.delete(message);
    }
    long started = System.nanoTime();
    VisibilityHeartbeat heartbeat = VisibilityHeartbeat.start(vertx, queue, message, job.imageId(),
        config.worker().visibilityTimeoutSeconds(), config.worker().heartbeatInterval().toMillis());
    heartbeats.put(message.messageId(), heartbeat);
    Attempt attempt = new Attempt();
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
    return finished.future()
        .eventually(() -> {
          vertx.cancelTimer(deadline);
          heartbeat.stop();
          heartbeats.remove(message.messageId());
          return Future.succeededFuture();
        });
  }

  /**
   * Fetch, process, store, commit. Once the deadline has passed, no step starts: the image is marked failed if its
   * own processing overran; otherwise the job goes back to the queue (the deadline handed it back already, or, if
   * the decoder was reading the upload, this fails and {@link #handle} hands it back).
   */
  private Future<Void> work(JobMessage job, ImageRecord record, Message message, Attempt attempt, long started) {
    return process(record, attempt)
        .compose(result -> store.markProcessed(record, result)
            .map(committed -> {
              LOG.info("image={} message={} receive={} upload={} processed in {} ms", job.imageId(),
                  message.messageId(), JobQueue.receiveCount(message), job.uploadId(),
                  (System.nanoTime() - started) / 1_000_000);
              return (Void) null;
            })
            .recover(err -> err instanceof TransitionConflictException conflict
                ? superseded(record, result, conflict)
                : Future.failedFuture(err)))
        .recover(err -> {
          if (attempt.imageAtFault()) {
            return fail(record, message, "the image took longer than " + config.worker().jobTimeout().toSeconds()
                + " s to process");
          }
          return err instanceof ImageRejectedException rejected && !attempt.expired()
              ? fail(record, message, rejected.getMessage())
              : Future.failedFuture(err);
        })
        .compose(done -> queue.delete(message));
  }

  /**
   * The job's deadline ({@code IMAGERY_JOB_TIMEOUT_SECONDS}): the heartbeat stops, and whose fault the overrun is
   * decides the rest. The image's own processing (decode, filter, encode) overran: abort it; the job fails the image
   * once the pool thread has let go, so the slot is never booked twice (the decoder stops at its next read; the
   * filter, the encoders and the thumbnailer cannot be stopped within their stage and finish it first). We were
   * waiting on S3 or DynamoDB: not the image's fault, the job goes back to the queue after a short backoff.
   */
  private void deadlinePassed(Attempt attempt, JobMessage job, Message message, VisibilityHeartbeat heartbeat,
                              Promise<Void> finished) {
    heartbeat.stop();
    if (handedBack.contains(message.messageId())) {
      return; // shutting down: the message is no longer ours
    }
    long limit = config.worker().jobTimeout().toSeconds();
    int receive = JobQueue.receiveCount(message);
    if (attempt.stage == Stage.PROCESSING && !attempt.abort.waitingOnSource() && !attempt.abort.waitedForMemory()) {
      attempt.overrun = Overrun.IMAGE;
      LOG.warn("image={} message={} receive={} still processing at its deadline of {} s: aborting it, the image"
          + " will be marked failed", job.imageId(), message.messageId(), receive, limit);
      attempt.abort.abort();
      return;
    }
    attempt.overrun = Overrun.BACKEND;
    if (attempt.stage == Stage.PROCESSING) {
      // The decoder is blocked reading the upload from S3: abort the download, which ends the read with an
      // IOException; the job's failure path then hands the message back, once the pool thread is free.
      LOG.warn("image={} message={} receive={} still reading the upload from S3 at its deadline of {} s: aborting"
          + " the download, the job goes back to the queue", job.imageId(), message.messageId(), receive, limit);
      attempt.abort.abort();
      abortQuietly(attempt.raw, job, message);
      return;
    }
    LOG.warn("image={} message={} receive={} still waiting on {} at its deadline of {} s: the job goes back to the"
        + " queue", job.imageId(), message.messageId(), receive, attempt.stage.waitingOn, limit);
    release(message, job.imageId()).onComplete(done -> finished.tryComplete());
  }

  private Future<ImageRecord.Result> process(ImageRecord record, Attempt attempt) {
    ImageRecord.Upload upload = record.upload().orElseThrow();
    return SdkFutures.call(vertx, () -> s3.getObject(
            GetObjectRequest.builder().bucket(config.resources().bucket()).key(upload.rawKey()).build(),
            AsyncResponseTransformer.<GetObjectResponse>toBlockingInputStream()))
        .recover(err -> err instanceof NoSuchKeyException
            ? Future.failedFuture(new ImageRejectedException(
                RejectReason.CORRUPT, "the uploaded file is missing from storage"))
            : Future.failedFuture(err))
        .compose(raw -> {
          if (attempt.expired()) {
            abortQuietly(raw, null, null);
            return Future.failedFuture(DeadlinePassed.INSTANCE);
          }
          attempt.raw = raw;
          attempt.stage = Stage.PROCESSING;
          return pool.executeBlocking(() -> runPipeline(record, raw, attempt.abort), false)
              // Whatever the pipeline's outcome, what follows (storing, committing processed or failed) waits on AWS.
              .andThen(done -> attempt.stage = Stage.STORING);
        })
        .compose(image -> attempt.expired() ? Future.failedFuture(DeadlinePassed.INSTANCE)
            : storeResult(record, upload, image))
        .compose(result -> attempt.expired() ? Future.failedFuture(DeadlinePassed.INSTANCE)
            : Future.succeededFuture(result));
  }

  /** On the worker pool: decoding, the filter and encoding block and burn CPU. */
  private ProcessedImage runPipeline(ImageRecord record, ResponseInputStream<GetObjectResponse> raw,
                                     AbortHandle abort) throws Exception {
    long delay = config.worker().faultProcessingDelay().toMillis();
    if (delay > 0) {
      // Test-only fault injection (IMAGERY_FAULT_PROCESSING_DELAY_MS): a slow image, on the worker pool.
      Thread.sleep(delay);
    }
    try (InputStream in = raw) {
      if (config.worker().faultDecodeHangImageId().filter(record.id()::equals).isPresent()) {
        // Test-only fault injection (IMAGERY_FAULT_DECODE_HANG_IMAGE_ID): a decode that never ends unless aborted.
        abort.hangUntilAborted();
      }
      return pipeline.process(in, options, abort, record.id());
    }
  }

  /** Ends the download (and a read blocked on it) without draining it; never throws. */
  private static void abortQuietly(ResponseInputStream<GetObjectResponse> raw, JobMessage job, Message message) {
    if (raw == null) {
      return;
    }
    try {
      raw.abort();
    } catch (RuntimeException e) {
      LOG.warn("image={} message={} could not abort the download: {}", job == null ? "-" : job.imageId(),
          message == null ? "-" : message.messageId(), e.toString());
    }
  }

  private Future<ImageRecord.Result> storeResult(ImageRecord record, ImageRecord.Upload upload, ProcessedImage image) {
    String resultKey = ObjectKeys.result(record.id(), upload.uploadId(), image.resultFormat().extension());
    String thumbnailKey = ObjectKeys.thumbnail(record.id(), upload.uploadId());
    Future<?> result = put(resultKey, image.resultFormat().contentType(), image.result(), record);
    Future<?> thumbnail = put(thumbnailKey, "image/jpeg", image.thumbnail(), record);
    return Future.all(result, thumbnail).map(both -> new ImageRecord.Result(resultKey,
        image.resultFormat().contentType(), thumbnailKey, image.width(), image.height(), clock.instant()));
  }

  private Future<?> put(String key, String contentType, byte[] bytes, ImageRecord record) {
    return SdkFutures.call(vertx, () -> s3.putObject(PutObjectRequest.builder()
            .bucket(config.resources().bucket())
            .key(key)
            .contentType(contentType)
            .contentLength((long) bytes.length)
            .metadata(Map.of("image-id", record.id(), "upload-id", record.uploadId().orElseThrow()))
            .build(),
        AsyncRequestBody.fromBytes(bytes)));
  }

  /**
   * At shutdown, for a job that will not finish in time: stop extending its message and make it visible at once,
   * so another worker takes it now rather than after its visibility timeout.
   */
  Future<Void> handBack(Message message) {
    handedBack.add(message.messageId());
    VisibilityHeartbeat heartbeat = heartbeats.remove(message.messageId());
    if (heartbeat != null) {
      heartbeat.stop();
    }
    LOG.warn("message={} still running at shutdown: making it visible again", message.messageId());
    return queue.changeVisibility(message, 0);
  }

  /** A newer upload replaced ours while we worked: our results belong to nothing. */
  private Future<Void> superseded(ImageRecord record, ImageRecord.Result result, TransitionConflictException conflict) {
    LOG.info("image={} upload={} superseded while processing ({}), discarding the result", record.id(),
        record.uploadId().orElse("-"), conflict.getMessage());
    return Future.join(delete(result.resultKey()), delete(result.thumbnailKey())).mapEmpty();
  }

  private Future<Void> fail(ImageRecord record, Message message, String reason) {
    LOG.warn("image={} message={} upload={} cannot be processed: {}", record.id(), message.messageId(),
        record.uploadId().orElse("-"), reason);
    return store.markFailed(record, reason)
        .<Void>mapEmpty()
        .recover(err -> err instanceof TransitionConflictException ? Future.succeededFuture() : Future.failedFuture(err));
  }

  private Future<Void> delete(String key) {
    return SdkFutures.call(vertx, () -> s3.deleteObject(
            DeleteObjectRequest.builder().bucket(config.resources().bucket()).key(key).build()))
        .mapEmpty();
  }

  /**
   * Makes the message visible again after a backoff that grows with its receive count, instead of after the full
   * visibility timeout; each receive still counts toward the dead-letter queue.
   */
  private Future<Void> release(Message message, String imageId) {
    int delaySeconds = (int) Math.min(config.worker().visibilityTimeoutSeconds(),
        WorkerVerticle.backoffMs(JobQueue.receiveCount(message) + 2) / 1000);
    return queue.changeVisibility(message, delaySeconds)
        .recover(err -> {
          LOG.warn("image={} message={} could not be released early: {}", imageId, message.messageId(),
              err.toString());
          return Future.succeededFuture();
        });
  }

  /** Where a job is: what it waits on when its deadline passes decides whose fault the overrun is. */
  private enum Stage {
    FETCHING("S3 (the upload)"),
    PROCESSING("the image"),
    STORING("S3 or DynamoDB (storing the result, committing processed or failed)");

    final String waitingOn;

    Stage(String waitingOn) {
      this.waitingOn = waitingOn;
    }
  }

  private enum Overrun { IMAGE, BACKEND }

  /** One attempt at a job against its deadline. Confined to the verticle's context, except {@link #abort}. */
  private static final class Attempt {
    final AbortHandle abort = new AbortHandle();
    Stage stage = Stage.FETCHING;
    /** Null until the deadline passes. */
    Overrun overrun;
    ResponseInputStream<GetObjectResponse> raw;

    boolean expired() {
      return overrun != null;
    }

    boolean imageAtFault() {
      return overrun == Overrun.IMAGE;
    }
  }

  /** A step not started because the deadline had passed; the deadline has decided the job's fate already. */
  private static final class DeadlinePassed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final DeadlinePassed INSTANCE = new DeadlinePassed();

    private DeadlinePassed() {
      super("the job's deadline passed", null, false, false);
    }
  }

  private static String abbreviate(String body) {
    return body.length() <= 200 ? body : body.substring(0, 200) + "...";
  }
}
