package dev.imagery.worker;

import dev.imagery.worker.image.RejectReason;
import java.util.Locale;

/** Why an image ended {@code failed}, as the {@code reason} label of {@code imagery_worker_images_failed_total}. */
enum FailureReason {
  /** The pipeline refused the image ({@link RejectReason}): it can never be processed. */
  UNSUPPORTED_FORMAT, TOO_MANY_PIXELS, TOO_MANY_SCANS, TOO_MANY_BYTES, CORRUPT, EMPTY,
  /** Its own processing overran the job's deadline ({@code IMAGERY_JOB_TIMEOUT_SECONDS}). */
  DEADLINE,
  /** {@code IMAGERY_MAX_ATTEMPTS} attempts never reported back: a job that kills its worker. */
  ATTEMPTS_EXHAUSTED,
  /** It failed transiently on the last receive before the dead-letter queue. */
  RECEIVES_EXHAUSTED,
  /** The reconciler gave up after {@code IMAGERY_MAX_REQUEUES} requeues. */
  REQUEUES_EXHAUSTED;

  static FailureReason of(RejectReason reason) {
    return valueOf(reason.name());
  }

  String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
