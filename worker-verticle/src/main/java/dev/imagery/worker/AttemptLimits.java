package dev.imagery.worker;

import dev.imagery.shared.image.AttemptLedger;
import java.util.Optional;

/**
 * When a job has used up its image's chances, and the reason the image then fails with. Two bounds, whichever comes
 * first:
 * <ul>
 *   <li><b>attempts that never reported back</b> ({@code IMAGERY_MAX_ATTEMPTS}): their worker died holding the job.
 *       One more such attempt would most likely take down another worker, and the other jobs it holds, so the next
 *       receive fails the image without working on it;</li>
 *   <li><b>the last receive before the dead-letter queue</b> ({@code IMAGERY_MAX_RECEIVE_COUNT}, the queue's
 *       {@code maxReceiveCount}): a job that failed transiently on every receive so far, and fails again now, would
 *       go to the dead-letter queue and leave its image waiting; it fails the image instead, with the last error.</li>
 * </ul>
 * Jobs dead-lettered all the same (their worker died on the last receive, or DynamoDB refused the failure) are
 * bounded by the reconciler, which queues them again and, past {@code IMAGERY_MAX_REQUEUES}, gives up.
 */
record AttemptLimits(int maxAttempts, int maxReceiveCount) {

  /** The reason to fail the image before this attempt starts, if its earlier attempts used up its chances. */
  Optional<String> exhaustedBeforeStart(AttemptLedger.Attempts attempts) {
    int unfinished = attempts.unfinishedBefore();
    if (unfinished < maxAttempts) {
      return Optional.empty();
    }
    return Optional.of("processing did not finish after " + unfinished + " attempts: each time the worker stopped"
        + " while it held the image (it crashed, ran out of memory or was killed)");
  }

  /** The reason to fail the image now that receive number {@code receive} failed with {@code cause}, if it was the last. */
  Optional<String> exhaustedAfterFailure(int receive, String cause) {
    if (receive < maxReceiveCount) {
      return Optional.empty();
    }
    return Optional.of("processing failed on each of the " + receive + " receives of its job; the last error: "
        + cause);
  }
}
