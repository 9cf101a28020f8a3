package dev.imagery.shared.provision;

import java.util.Objects;

/**
 * What {@link ResourceProvisioner} makes sure exists: the DynamoDB table, the job queue with its dead-letter queue,
 * and the S3 bucket.
 *
 * @param table the DynamoDB table, hash key {@code id} (S)
 * @param queue the job queue
 * @param deadLetterQueue where the job queue redrives a message after {@code maxReceiveCount} receives
 * @param bucket the S3 bucket
 * @param maxReceiveCount receives before SQS moves a message to the dead-letter queue (1 to 1000)
 * @param visibilityTimeoutSeconds the job queue's default visibility timeout (0 to 43200)
 * @param retentionDays days after which the bucket's lifecycle rules expire the image objects; 0: never
 */
public record ResourceNames(
    String table,
    String queue,
    String deadLetterQueue,
    String bucket,
    int maxReceiveCount,
    int visibilityTimeoutSeconds,
    int retentionDays) {

  /** Resources whose images are kept until deleted. */
  public ResourceNames(String table, String queue, String deadLetterQueue, String bucket, int maxReceiveCount,
                       int visibilityTimeoutSeconds) {
    this(table, queue, deadLetterQueue, bucket, maxReceiveCount, visibilityTimeoutSeconds, 0);
  }

  public ResourceNames {
    requireName(table, "table");
    requireName(queue, "queue");
    requireName(deadLetterQueue, "deadLetterQueue");
    requireName(bucket, "bucket");
    if (queue.equals(deadLetterQueue)) {
      throw new IllegalArgumentException("queue and deadLetterQueue must differ, both are '" + queue + "'");
    }
    if (maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new IllegalArgumentException("maxReceiveCount must be 1..1000 (SQS limit), was " + maxReceiveCount);
    }
    if (visibilityTimeoutSeconds < 0 || visibilityTimeoutSeconds > 43_200) {
      throw new IllegalArgumentException(
          "visibilityTimeoutSeconds must be 0..43200 (SQS limit), was " + visibilityTimeoutSeconds);
    }
    if (retentionDays < 0) {
      throw new IllegalArgumentException("retentionDays must be 0 (keep) or more, was " + retentionDays);
    }
  }

  private static void requireName(String value, String what) {
    Objects.requireNonNull(value, what);
    if (value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
  }
}
