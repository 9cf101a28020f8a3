package dev.imagery.worker;

import dev.imagery.worker.image.AbortHandle;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * One attempt at a job against its deadline: where it is, and whose fault an overrun was. Confined to the verticle's
 * context, except {@link #abort}, which the pipeline's pool thread reads.
 */
final class JobAttempt {

  private static final Logger LOG = LoggerFactory.getLogger(JobAttempt.class);

  /** Where a job is: what it waits on when its deadline passes decides whose fault the overrun is. */
  enum Stage {
    FETCHING("S3 (the upload)"),
    PROCESSING("the image"),
    STORING("S3 or DynamoDB (storing the result, committing processed or failed)");

    final String waitingOn;

    Stage(String waitingOn) {
      this.waitingOn = waitingOn;
    }
  }

  enum Overrun { IMAGE, BACKEND }

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

  /**
   * The job's deadline passed (its heartbeat has stopped): whose fault the overrun is decides the rest. The image's
   * own processing (decode, filter, encode) overran: abort it; the job fails the image once the pool thread has let
   * go, so the slot is never booked twice (the decoder stops at its next read; the filter, the encoders and the
   * thumbnailer cannot be stopped within their stage and finish it first). The job was waiting on S3 or DynamoDB, or
   * for other jobs' memory: not the image's fault, the job goes back to the queue after a short backoff, through
   * {@code finished} failing (or, for a blocked read of the upload, the read failing once the download is aborted).
   */
  void deadlinePassed(String imageId, String messageId, int receive, long limitSeconds, Promise<Void> finished) {
    if (stage == Stage.PROCESSING && !abort.waitingOnSource() && !abort.waitedForMemory()) {
      overrun = Overrun.IMAGE;
      LOG.warn("image={} message={} receive={} still processing at its deadline of {} s: aborting it, the image"
          + " will be marked failed", imageId, messageId, receive, limitSeconds);
      abort.abort();
      return;
    }
    overrun = Overrun.BACKEND;
    if (stage == Stage.PROCESSING) {
      LOG.warn("image={} message={} receive={} still {} at its deadline of {} s: aborting it, the job goes back to"
          + " the queue", imageId, messageId, receive, abort.waitedForMemory()
          ? "processing after waiting for other jobs' memory" : "reading the upload from S3", limitSeconds);
      abort.abort();
      abortQuietly(raw, imageId, messageId);
      return;
    }
    LOG.warn("image={} message={} receive={} still waiting on {} at its deadline of {} s: the job goes back to the"
        + " queue", imageId, messageId, receive, stage.waitingOn, limitSeconds);
    finished.tryFail(new WaitedPastDeadline("the job's deadline of " + limitSeconds + " s passed while it waited on "
        + stage.waitingOn));
  }

  /** Ends the download (and a read blocked on it) without draining it; never throws. */
  static void abortQuietly(ResponseInputStream<GetObjectResponse> raw, String imageId, String messageId) {
    if (raw == null) {
      return;
    }
    try {
      raw.abort();
    } catch (RuntimeException e) {
      LOG.warn("image={} message={} could not abort the download: {}", imageId == null ? "-" : imageId,
          messageId == null ? "-" : messageId, e.toString());
    }
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
