package dev.imagery.worker;

import dev.imagery.worker.image.AbortHandle;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * One attempt at a job against its deadline: where it is, and whose fault an overrun was. Confined to the verticle's
 * context, except {@link #abort}, which the pipeline's pool thread reads.
 */
final class JobAttempt {

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
