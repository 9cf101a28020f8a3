package dev.imagery.worker;

import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.image.AttemptLedger;
import dev.imagery.shared.image.ImageNotFoundException;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.TransitionConflictException;
import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Future;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * How a job that did not process its image ends, with the record and with the queue: the image fails (and the
 * message is deleted), or the job comes back later (the message is released after a backoff). Which one, for a
 * failure that was not the image's, is {@link AttemptLimits}' call.
 */
final class JobOutcomes {

  private static final Logger LOG = LoggerFactory.getLogger(JobOutcomes.class);

  private final ImageStore store;
  private final AttemptLedger ledger;
  private final JobQueue queue;
  private final AttemptLimits limits;
  private final int visibilityTimeoutSeconds;
  private final WorkerMetrics metrics;

  JobOutcomes(ImageStore store, AttemptLedger ledger, JobQueue queue, AttemptLimits limits,
              int visibilityTimeoutSeconds, WorkerMetrics metrics) {
    this.metrics = metrics;
    this.store = store;
    this.ledger = ledger;
    this.queue = queue;
    this.limits = limits;
    this.visibilityTimeoutSeconds = visibilityTimeoutSeconds;
  }

  /** Marks the image failed with {@code reason} (already final is fine) and deletes its message. */
  Future<Void> failAndDelete(ImageRecord record, Message message, FailureReason kind, String reason) {
    return fail(record, message, kind, reason).compose(done -> queue.delete(message));
  }

  /**
   * Marks the image failed with {@code reason} ({@code kind} for the metrics); a record that moved on meanwhile
   * (final, re-uploaded, deleting or deleted) is left be.
   */
  Future<Void> fail(ImageRecord record, Message message, FailureReason kind, String reason) {
    LOG.warn("image={} message={} upload={} cannot be processed: {}", record.id(), message.messageId(),
        record.uploadId().orElse("-"), reason);
    return store.markFailed(record, reason)
        .onSuccess(committed -> {
          if (committed.written()) {
            metrics.failed(kind);
          }
        })
        .<Void>mapEmpty()
        .recover(err -> err instanceof TransitionConflictException || err instanceof ImageNotFoundException
            ? Future.succeededFuture()
            : Future.failedFuture(err));
  }

  /**
   * The attempt failed for a reason not the image's (S3 or DynamoDB failed, or its deadline passed while it waited
   * on them). On the job's last receive before the dead-letter queue, the image fails with the error; otherwise the
   * attempt is counted as ended (it costs a receive, not an attempt) and the job comes back after a backoff.
   */
  Future<Void> retryLater(ImageRecord record, Message message, Throwable err) {
    int receive = JobQueue.receiveCount(message);
    Throwable cause = SdkFutures.unwrap(err);
    Optional<String> exhausted = limits.exhaustedAfterFailure(receive,
        cause.getMessage() == null ? cause.toString() : cause.getMessage());
    if (exhausted.isPresent()) {
      return failAndDelete(record, message, FailureReason.RECEIVES_EXHAUSTED, exhausted.get());
    }
    LOG.warn("image={} message={} receive={} failed, will retry: {}", record.id(), message.messageId(), receive,
        cause.toString());
    return ended(record, message).compose(counted -> release(message, record.id()));
  }

  /** Counts the attempt at {@code record} as ended without finishing (not the image's fault); never fails. */
  Future<Void> ended(ImageRecord record, Message message) {
    return ledger.end(record)
        .recover(notCounted -> {
          LOG.warn("image={} message={} could not count the attempt as ended: {}", record.id(), message.messageId(),
              notCounted.toString());
          return Future.succeededFuture();
        });
  }

  /**
   * Makes the message visible again after a backoff that grows with its receive count, instead of after the full
   * visibility timeout; each receive still counts toward the dead-letter queue. Never fails.
   */
  Future<Void> release(Message message, String imageId) {
    metrics.retried();
    int delaySeconds = (int) Math.min(visibilityTimeoutSeconds,
        WorkerVerticle.backoffMs(JobQueue.receiveCount(message) + 2) / 1000);
    return queue.changeVisibility(message, delaySeconds)
        .recover(err -> {
          LOG.warn("image={} message={} could not be released early: {}", imageId, message.messageId(),
              err.toString());
          return Future.succeededFuture();
        });
  }
}
