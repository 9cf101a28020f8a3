package dev.imagery.worker;

import dev.imagery.worker.image.AbortHandle;
import dev.imagery.worker.image.PipelineAbortedException;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at a job against its deadline: where it is, and whose fault an overrun was. Confined to the verticle's
 * context, except {@link #abort} and {@link #startPipeline()}, which the pipeline's pool thread uses.
 */
final class JobAttempt {

  private static final Logger LOG = LoggerFactory.getLogger(JobAttempt.class);

  /** Where a job is: what it waits on when its deadline passes decides whose fault the overrun is. */
  enum Stage {
    FETCHING("S3 (the upload), or room to hold it beside the other jobs' uploads"),
    /** Downloaded, waiting for a thread of the image pool: other jobs' images hold them all. */
    QUEUED("a thread of the image pool (other jobs' images)"),
    PROCESSING("the image"),
    STORING("S3 or DynamoDB (storing the result, committing processed or failed)");

    final String waitingOn;

    Stage(String waitingOn) {
      this.waitingOn = waitingOn;
    }
  }

  enum Overrun { IMAGE, BACKEND }

  private static final int NOT_STARTED = 0;
  private static final int STARTED = 1;
  private static final int CANCELLED = 2;

  final AbortHandle abort = new AbortHandle();
  Stage stage = Stage.FETCHING;
  /** Null until the deadline passes. */
  Overrun overrun;
  /** The download in progress, cancelled if the deadline passes while the job waits on it; null before and after. */
  ImageObjects.Download download;
  /** The bytes this job holds outside the pipeline (its upload, then its results); null until granted. */
  HeldBytes.Lease held;
  /**
   * Whether the pipeline has started on a pool thread, or will never start (the deadline passed while the job was
   * queued for one): the pool thread and the deadline race for it, and exactly one of them wins.
   */
  private final AtomicInteger pipeline = new AtomicInteger(NOT_STARTED);

  boolean expired() {
    return overrun != null;
  }

  boolean imageAtFault() {
    return overrun == Overrun.IMAGE;
  }

  /**
   * On the pool thread, first thing: the pipeline may start unless the deadline passed while the job waited for
   * the thread (that job is on its way back to the queue).
   *
   * @throws PipelineAbortedException the deadline came first
   */
  void startPipeline() {
    if (!pipeline.compareAndSet(NOT_STARTED, STARTED)) {
      throw new PipelineAbortedException("waiting for a thread of the image pool");
    }
  }

  /** Gives back what the job holds outside the pipeline; idempotent. */
  void releaseHeld() {
    if (held != null) {
      held.close();
    }
  }

  /**
   * The job's deadline passed (its heartbeat has stopped): whose fault the overrun is decides the rest. The image's
   * own processing (decode, filter, encode) overran: abort it; the job fails the image once the pool thread has let
   * go, so the thread is never booked twice (the decoder stops at its next read; the filter, the encoders and the
   * thumbnailer cannot be stopped within their stage and finish it first). The job was waiting on S3 or DynamoDB,
   * for a thread of the pool, or for other jobs' memory: not the image's fault, the job goes back to the queue after
   * a short backoff, through {@code finished} failing (a download in progress is cancelled; a pipeline that had not
   * started never will; one waiting for memory stops waiting).
   */
  void deadlinePassed(String imageId, String messageId, int receive, long limitSeconds, Promise<Void> finished) {
    if (stage == Stage.QUEUED && pipeline.compareAndSet(NOT_STARTED, CANCELLED)) {
      waitedPastDeadline(imageId, messageId, receive, limitSeconds, finished);
      return;
    }
    boolean processing = stage == Stage.QUEUED || stage == Stage.PROCESSING; // QUEUED here: it has just started
    if (processing && !abort.waitedForMemory()) {
      overrun = Overrun.IMAGE;
      LOG.warn("image={} message={} receive={} still processing at its deadline of {} s: aborting it, the image"
          + " will be marked failed", imageId, messageId, receive, limitSeconds);
      abort.abort();
      return;
    }
    if (processing) {
      overrun = Overrun.BACKEND;
      LOG.warn("image={} message={} receive={} still processing after waiting for other jobs' memory at its deadline"
          + " of {} s: aborting it, the job goes back to the queue", imageId, messageId, receive, limitSeconds);
      abort.abort();
      return;
    }
    if (download != null) {
      download.cancel();
    }
    waitedPastDeadline(imageId, messageId, receive, limitSeconds, finished);
  }

  private void waitedPastDeadline(String imageId, String messageId, int receive, long limitSeconds,
                                  Promise<Void> finished) {
    overrun = Overrun.BACKEND;
    LOG.warn("image={} message={} receive={} still waiting on {} at its deadline of {} s: the job goes back to the"
        + " queue", imageId, messageId, receive, stage.waitingOn, limitSeconds);
    finished.tryFail(new WaitedPastDeadline("the job's deadline of " + limitSeconds + " s passed while it waited on "
        + stage.waitingOn));
  }

  /** A step not started because the deadline had passed; the deadline has decided the job's fate already. */
  static final class DeadlinePassed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final DeadlinePassed INSTANCE = new DeadlinePassed();

    private DeadlinePassed() {
      super("the job's deadline passed", null, false, false);
    }
  }

  /** The deadline passed while the job waited on S3 or DynamoDB: not the image's fault, the job goes back. */
  static final class WaitedPastDeadline extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WaitedPastDeadline(String message) {
      super(message, null, false, false);
    }
  }
}
