package dev.imagery.shared.provision;

import static dev.imagery.shared.provision.Calls.call;
import static dev.imagery.shared.provision.Calls.unwrap;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.QueueNameExistsException;

/**
 * The dead-letter queue, then the job queue redriving to it, as the production template has them. A queue that
 * exists is used as it is; settings that differ from the wanted ones are logged at WARN.
 *
 * <p>{@code SqsManagedSseEnabled} is always sent: AWS encrypts with it (and has done so by default for new queues
 * since 2022), and ElasticMQ accepts it on CreateQueue and ignores it. ElasticMQ reports neither it nor
 * {@code MessageRetentionPeriod} back, so an attribute the endpoint leaves out of GetQueueAttributes is not
 * compared. {@code RedrivePolicy} is the exception: SQS leaves it out when a queue has none.
 */
final class QueueProvisioner {

  private static final Logger LOG = LoggerFactory.getLogger(QueueProvisioner.class);

  /**
   * 14 days, the SQS maximum. A message keeps its original enqueue time when it moves to the dead-letter queue, so
   * this must exceed the job queue's retention, or old dead letters would vanish on arrival.
   */
  static final int DEAD_LETTER_RETENTION_SECONDS = 1_209_600;
  /** 4 days, the SQS default, stated so that the relation above holds by construction. */
  static final int JOB_RETENTION_SECONDS = 345_600;

  private final SqsAsyncClient sqs;

  QueueProvisioner(SqsAsyncClient sqs) {
    this.sqs = Objects.requireNonNull(sqs, "sqs");
  }

  CompletableFuture<ProvisionedResources> ensure(ResourceNames names) {
    Map<QueueAttributeName, String> deadLetterWanted = deadLetterQueueAttributes();
    return ensureQueue(names.deadLetterQueue(), deadLetterWanted)
        .thenCompose(deadLetterUrl -> checkedArn(names.deadLetterQueue(), deadLetterUrl, deadLetterWanted)
            .thenCompose(deadLetterArn -> {
              Map<QueueAttributeName, String> wanted = jobQueueAttributes(names, deadLetterArn);
              return ensureQueue(names.queue(), wanted)
                  .thenCompose(queueUrl -> attributes(queueUrl, wanted.keySet())
                      .thenAccept(actual -> warnIfDifferent(names.queue(), wanted, actual))
                      .exceptionally(error -> {
                        LOG.warn("Could not read the attributes of SQS queue {} to check them: {}",
                            names.queue(), unwrap(error).toString());
                        return null;
                      })
                      .thenApply(ignored -> new ProvisionedResources(queueUrl, deadLetterUrl)));
            }));
  }

  static Map<QueueAttributeName, String> deadLetterQueueAttributes() {
    Map<QueueAttributeName, String> attributes = new EnumMap<>(QueueAttributeName.class);
    attributes.put(QueueAttributeName.MESSAGE_RETENTION_PERIOD, Integer.toString(DEAD_LETTER_RETENTION_SECONDS));
    attributes.put(QueueAttributeName.SQS_MANAGED_SSE_ENABLED, "true");
    return attributes;
  }

  static Map<QueueAttributeName, String> jobQueueAttributes(ResourceNames names, String deadLetterArn) {
    Map<QueueAttributeName, String> attributes = new EnumMap<>(QueueAttributeName.class);
    attributes.put(QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(names.visibilityTimeoutSeconds()));
    attributes.put(QueueAttributeName.RECEIVE_MESSAGE_WAIT_TIME_SECONDS,
        Integer.toString(ResourceProvisioner.RECEIVE_MESSAGE_WAIT_SECONDS));
    attributes.put(QueueAttributeName.MESSAGE_RETENTION_PERIOD, Integer.toString(JOB_RETENTION_SECONDS));
    attributes.put(QueueAttributeName.REDRIVE_POLICY,
        new RedrivePolicy(deadLetterArn, names.maxReceiveCount()).toJson());
    attributes.put(QueueAttributeName.SQS_MANAGED_SSE_ENABLED, "true");
    return attributes;
  }

  /** Found (GetQueueUrl) or created; marks which in the log. */
  private CompletableFuture<String> ensureQueue(String name, Map<QueueAttributeName, String> attributes) {
    return call(() -> sqs.getQueueUrl(b -> b.queueName(name)))
        .thenApply(found -> {
          LOG.info("Found SQS queue {} at {}", name, found.queueUrl());
          return found.queueUrl();
        })
        .exceptionallyCompose(error -> unwrap(error) instanceof QueueDoesNotExistException
            ? createQueue(name, attributes)
            : CompletableFuture.failedFuture(unwrap(error)));
  }

  private CompletableFuture<String> createQueue(String name, Map<QueueAttributeName, String> attributes) {
    // CreateQueue with identical attributes returns the existing queue, so a concurrent creator succeeds too.
    return call(() -> sqs.createQueue(b -> b.queueName(name).attributes(attributes)))
        .thenApply(created -> {
          LOG.info("Created SQS queue {} at {} with {}", name, created.queueUrl(), attributes);
          return created.queueUrl();
        })
        .exceptionallyCompose(error -> {
          if (!(unwrap(error) instanceof QueueNameExistsException)) {
            return CompletableFuture.failedFuture(unwrap(error));
          }
          // Created meanwhile by someone else with other attributes: use it as it is.
          return call(() -> sqs.getQueueUrl(b -> b.queueName(name))).thenApply(found -> {
            LOG.info("Found SQS queue {} at {} (created concurrently by another process)", name, found.queueUrl());
            return found.queueUrl();
          });
        });
  }

  /** The dead-letter queue's ARN, read in the same call as the settings it is checked against. */
  private CompletableFuture<String> checkedArn(String name, String queueUrl, Map<QueueAttributeName, String> wanted) {
    Set<QueueAttributeName> asked = EnumSet.of(QueueAttributeName.QUEUE_ARN);
    asked.addAll(wanted.keySet());
    return attributes(queueUrl, asked).thenApply(actual -> {
      warnIfDifferent(name, wanted, actual);
      return Optional.ofNullable(actual.get(QueueAttributeName.QUEUE_ARN))
          .orElseThrow(() -> new IllegalStateException("SQS returned no QueueArn for " + queueUrl));
    });
  }

  private CompletableFuture<Map<QueueAttributeName, String>> attributes(String queueUrl, Set<QueueAttributeName> names) {
    return call(() -> sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(names)))
        .thenApply(response -> response.attributes());
  }

  private static void warnIfDifferent(String name, Map<QueueAttributeName, String> wanted,
      Map<QueueAttributeName, String> actual) {
    for (Map.Entry<QueueAttributeName, String> entry : wanted.entrySet()) {
      QueueAttributeName attribute = entry.getKey();
      String have = actual.get(attribute);
      if (attribute == QueueAttributeName.REDRIVE_POLICY) {
        if (!RedrivePolicy.parse(entry.getValue()).equals(RedrivePolicy.parse(have))) {
          LOG.warn("SQS queue {} has RedrivePolicy={} where Imagery expects {} (left unchanged)",
              name, have, entry.getValue());
        }
      } else if (have == null) {
        LOG.debug("SQS endpoint does not report {} of queue {}: not compared", attribute, name);
      } else if (!entry.getValue().equals(have)) {
        LOG.warn("SQS queue {} has {}={} where Imagery expects {} (left unchanged)",
            name, attribute, have, entry.getValue());
      }
    }
  }
}
