package dev.imagery.shared.provision;

import java.util.Objects;

/**
 * The queue URLs {@link ResourceProvisioner} resolved (the table and bucket are addressed by name).
 *
 * @param queueUrl the job queue
 * @param deadLetterQueueUrl its dead-letter queue
 */
public record ProvisionedResources(String queueUrl, String deadLetterQueueUrl) {

  public ProvisionedResources {
    Objects.requireNonNull(queueUrl, "queueUrl");
    Objects.requireNonNull(deadLetterQueueUrl, "deadLetterQueueUrl");
  }
}
