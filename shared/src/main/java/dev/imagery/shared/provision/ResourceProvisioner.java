package dev.imagery.shared.provision;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import dev.imagery.shared.image.ImageRecord;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.CreateGlobalSecondaryIndexAction;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexUpdate;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.waiters.DynamoDbAsyncWaiter;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.QueueNameExistsException;

/**
 * Creates Imagery's DynamoDB table, SQS queues and S3 bucket when they are missing, and leaves them alone when they
 * are there. Idempotent: it can run on every start, twice in a row, or from several processes at once (whoever
 * loses a creation race takes the "already exists" answer as success).
 *
 * <p>Plain SDK code on the async clients' {@link CompletableFuture}s: no Vert.x, nothing blocks. Existing resources
 * are never modified; a job queue whose settings differ from the wanted ones is logged at WARN.
 */
public final class ResourceProvisioner {

  private static final Logger LOG = LoggerFactory.getLogger(ResourceProvisioner.class);

  /** The table's hash key, a string. */
  public static final String TABLE_HASH_KEY = "id";
  /** Long polling by default: a receive returns as soon as a message arrives, or after 20 s (the SQS maximum). */
  public static final int RECEIVE_MESSAGE_WAIT_SECONDS = 20;

  private static final Duration TABLE_POLL_INTERVAL = Duration.ofSeconds(1);
  private static final Duration TABLE_ACTIVE_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern DEAD_LETTER_TARGET = Pattern.compile("\"deadLetterTargetArn\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern MAX_RECEIVE_COUNT = Pattern.compile("\"maxReceiveCount\"\\s*:\\s*\"?(\\d+)\"?");

  private final DynamoDbAsyncClient dynamoDb;
  private final SqsAsyncClient sqs;
  private final S3AsyncClient s3;

  public ResourceProvisioner(DynamoDbAsyncClient dynamoDb, SqsAsyncClient sqs, S3AsyncClient s3) {
    this.dynamoDb = Objects.requireNonNull(dynamoDb, "dynamoDb");
    this.sqs = Objects.requireNonNull(sqs, "sqs");
    this.s3 = Objects.requireNonNull(s3, "s3");
  }

  /**
   * Makes sure the table (ACTIVE), both queues and the bucket exist; the three kinds are handled concurrently.
   * Fails with the first error (unwrapped SDK exception) if any of them cannot be created or found.
   */
  public CompletableFuture<ProvisionedResources> provision(ResourceNames names) {
    Objects.requireNonNull(names, "names");
    CompletableFuture<Void> table = ensureTable(names.table());
    CompletableFuture<ProvisionedResources> queues = ensureQueues(names);
    CompletableFuture<Void> bucket = ensureBucket(names.bucket());
    return CompletableFuture.allOf(table, queues, bucket)
        .handle((ignored, error) -> {
          if (error != null) {
            throw new CompletionException(unwrap(error));
          }
          return queues.join();
        });
  }

  // ---------------------------------------------------------------------------------------------- DynamoDB

  /** The table with hash key {@code id} (S), on-demand capacity; completes once it is ACTIVE. */
  public CompletableFuture<Void> ensureTable(String table) {
    return call(() -> dynamoDb.describeTable(b -> b.tableName(table)))
        .thenCompose(described -> {
          TableDescription description = described.table();
          requireExpectedKey(table, description);
          LOG.info("Found DynamoDB table {} ({})", table, description.tableStatusAsString());
          CompletableFuture<Void> active = description.tableStatus() == TableStatus.ACTIVE
              ? CompletableFuture.<Void>completedFuture(null)
              : waitUntilActive(table);
          return hasAwaitingIndex(description) ? active : active.thenCompose(ready -> addAwaitingIndex(table));
        })
        .exceptionallyCompose(error -> unwrap(error) instanceof ResourceNotFoundException
            ? createTable(table)
            : CompletableFuture.failedFuture(unwrap(error)));
  }

  private CompletableFuture<Void> createTable(String table) {
    return call(() -> dynamoDb.createTable(b -> b.tableName(table)
            .attributeDefinitions(
                AttributeDefinition.builder().attributeName(TABLE_HASH_KEY).attributeType(ScalarAttributeType.S).build(),
                AttributeDefinition.builder().attributeName(ImageRecord.AWAITING).attributeType(ScalarAttributeType.S).build(),
                AttributeDefinition.builder().attributeName(ImageRecord.AWAITING_SINCE).attributeType(ScalarAttributeType.N).build())
            .keySchema(KeySchemaElement.builder().attributeName(TABLE_HASH_KEY).keyType(KeyType.HASH).build())
            .globalSecondaryIndexes(awaitingIndex())
            .billingMode(BillingMode.PAY_PER_REQUEST)))
        .handle((created, error) -> {
          if (error == null) {
            LOG.info("Created DynamoDB table {} (hash key {}, on-demand)", table, TABLE_HASH_KEY);
          } else if (unwrap(error) instanceof ResourceInUseException) {
            LOG.info("Found DynamoDB table {} (created concurrently by another process)", table);
          } else {
            throw new CompletionException(unwrap(error));
          }
          return null;
        })
        .thenCompose(ignored -> waitUntilActive(table));
  }

  /** Images in {@code uploaded}, by how long they have waited; carries the upload id the job needs. */
  private static GlobalSecondaryIndex awaitingIndex() {
    return GlobalSecondaryIndex.builder()
        .indexName(ImageRecord.AWAITING_INDEX)
        .keySchema(
            KeySchemaElement.builder().attributeName(ImageRecord.AWAITING).keyType(KeyType.HASH).build(),
            KeySchemaElement.builder().attributeName(ImageRecord.AWAITING_SINCE).keyType(KeyType.RANGE).build())
        .projection(Projection.builder().projectionType(ProjectionType.INCLUDE).nonKeyAttributes("uploadId").build())
        .build();
  }

  private static boolean hasAwaitingIndex(TableDescription description) {
    return description.hasGlobalSecondaryIndexes() && description.globalSecondaryIndexes().stream()
        .anyMatch(index -> ImageRecord.AWAITING_INDEX.equals(index.indexName()));
  }

  /** A table made before the reconciler existed gets its index; it backfills in the background. */
  private CompletableFuture<Void> addAwaitingIndex(String table) {
    GlobalSecondaryIndex index = awaitingIndex();
    return call(() -> dynamoDb.updateTable(b -> b.tableName(table)
            .attributeDefinitions(
                AttributeDefinition.builder().attributeName(ImageRecord.AWAITING).attributeType(ScalarAttributeType.S).build(),
                AttributeDefinition.builder().attributeName(ImageRecord.AWAITING_SINCE).attributeType(ScalarAttributeType.N).build())
            .globalSecondaryIndexUpdates(GlobalSecondaryIndexUpdate.builder().create(CreateGlobalSecondaryIndexAction.builder()
                .indexName(index.indexName()).keySchema(index.keySchema()).projection(index.projection()).build())
                .build())))
        .handle((updated, error) -> {
          if (error == null) {
            LOG.info("Added index {} to DynamoDB table {}", ImageRecord.AWAITING_INDEX, table);
          } else if (unwrap(error) instanceof ResourceInUseException) {
            LOG.info("Index {} of DynamoDB table {} is being added by another process", ImageRecord.AWAITING_INDEX, table);
          } else {
            throw new CompletionException(unwrap(error));
          }
          return null;
        });
  }

  private CompletableFuture<Void> waitUntilActive(String table) {
    DynamoDbAsyncWaiter waiter = DynamoDbAsyncWaiter.builder()
        .client(dynamoDb)
        .overrideConfiguration(c -> c
            .backoffStrategyV2(BackoffStrategy.fixedDelayWithoutJitter(TABLE_POLL_INTERVAL))
            .maxAttempts((int) (TABLE_ACTIVE_TIMEOUT.toMillis() / TABLE_POLL_INTERVAL.toMillis()))
            .waitTimeout(TABLE_ACTIVE_TIMEOUT))
        .build();
    CompletableFuture<Void> active;
    try {
      active = waiter.waitUntilTableExists(b -> b.tableName(table))
          .thenAccept(response -> {
            TableDescription description = response.matched().response()
                .orElseThrow(() -> new IllegalStateException("DynamoDB table " + table + " did not become ACTIVE",
                    response.matched().exception().orElse(null)))
                .table();
            requireExpectedKey(table, description);
            LOG.debug("DynamoDB table {} is ACTIVE after {} poll(s)", table, response.attemptsExecuted());
          });
    } catch (RuntimeException e) {
      waiter.close();
      return CompletableFuture.failedFuture(e);
    }
    // The waiter owns a scheduler thread: release it whatever the outcome.
    return active.whenComplete((ignored, error) -> waiter.close());
  }

  private static void requireExpectedKey(String table, TableDescription description) {
    List<KeySchemaElement> key = description.keySchema();
    boolean expected = key.size() == 1
        && TABLE_HASH_KEY.equals(key.get(0).attributeName())
        && key.get(0).keyType() == KeyType.HASH
        && description.attributeDefinitions().stream().anyMatch(a ->
            TABLE_HASH_KEY.equals(a.attributeName()) && a.attributeType() == ScalarAttributeType.S);
    if (!expected) {
      throw new IllegalStateException("DynamoDB table " + table + " exists but its key is " + key
          + "; Imagery needs a single hash key '" + TABLE_HASH_KEY + "' of type S");
    }
  }

  // ---------------------------------------------------------------------------------------------- SQS

  /** The dead-letter queue, then the job queue redriving to it after {@code maxReceiveCount} receives. */
  public CompletableFuture<ProvisionedResources> ensureQueues(ResourceNames names) {
    return ensureQueue(names.deadLetterQueue(), Map.of())
        .thenCompose(deadLetterUrl -> queueArn(deadLetterUrl)
            .thenCompose(deadLetterArn -> {
              Map<QueueAttributeName, String> wanted = jobQueueAttributes(names, deadLetterArn);
              return ensureQueue(names.queue(), wanted)
                  .thenCompose(queueUrl -> warnIfDifferent(names.queue(), queueUrl, wanted)
                      .thenApply(ignored -> new ProvisionedResources(queueUrl, deadLetterUrl)));
            }));
  }

  static Map<QueueAttributeName, String> jobQueueAttributes(ResourceNames names, String deadLetterArn) {
    Map<QueueAttributeName, String> attributes = new EnumMap<>(QueueAttributeName.class);
    attributes.put(QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(names.visibilityTimeoutSeconds()));
    attributes.put(QueueAttributeName.RECEIVE_MESSAGE_WAIT_TIME_SECONDS,
        Integer.toString(RECEIVE_MESSAGE_WAIT_SECONDS));
    attributes.put(QueueAttributeName.REDRIVE_POLICY, redrivePolicy(deadLetterArn, names.maxReceiveCount()));
    return attributes;
  }

  static String redrivePolicy(String deadLetterArn, int maxReceiveCount) {
    // ARNs never contain quotes or backslashes, so no JSON escaping is needed.
    return "{\"deadLetterTargetArn\":\"" + deadLetterArn + "\",\"maxReceiveCount\":\"" + maxReceiveCount + "\"}";
  }

  /** Found (GetQueueUrl) or created; marks which in the log. Tracks wins and losses of a concurrent create. */
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
          LOG.info("Created SQS queue {} at {}{}", name, created.queueUrl(),
              attributes.isEmpty() ? "" : " with " + attributes);
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

  private CompletableFuture<String> queueArn(String queueUrl) {
    return call(() -> sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN)))
        .thenApply(response -> Optional.ofNullable(response.attributes().get(QueueAttributeName.QUEUE_ARN))
            .orElseThrow(() -> new IllegalStateException("SQS returned no QueueArn for " + queueUrl)));
  }

  /** Existing queues are left as they are, but a job queue without the wanted redrive policy is worth a warning. */
  private CompletableFuture<Void> warnIfDifferent(
      String name, String queueUrl, Map<QueueAttributeName, String> wanted) {
    return call(() -> sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(wanted.keySet())))
        .thenAccept(response -> {
          Map<QueueAttributeName, String> actual = response.attributes();
          for (Map.Entry<QueueAttributeName, String> entry : wanted.entrySet()) {
            String have = actual.get(entry.getKey());
            boolean same = entry.getKey() == QueueAttributeName.REDRIVE_POLICY
                ? sameRedrivePolicy(entry.getValue(), have)
                : entry.getValue().equals(have);
            if (!same) {
              LOG.warn("SQS queue {} has {}={} where Imagery expects {} (left unchanged)",
                  name, entry.getKey(), have, entry.getValue());
            }
          }
        })
        .exceptionally(error -> {
          LOG.warn("Could not read the attributes of SQS queue {} to check them: {}", name, unwrap(error).toString());
          return null;
        });
  }

  private static boolean sameRedrivePolicy(String wanted, String actual) {
    if (actual == null) {
      return false;
    }
    return group(DEAD_LETTER_TARGET, wanted).equals(group(DEAD_LETTER_TARGET, actual))
        && group(MAX_RECEIVE_COUNT, wanted).equals(group(MAX_RECEIVE_COUNT, actual));
  }

  private static Optional<String> group(Pattern pattern, String json) {
    Matcher matcher = pattern.matcher(json);
    return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
  }

  // ---------------------------------------------------------------------------------------------- S3

  /** The bucket, in the client's region. */
  public CompletableFuture<Void> ensureBucket(String bucket) {
    return call(() -> s3.headBucket(b -> b.bucket(bucket)))
        .thenAccept(found -> LOG.info("Found S3 bucket {}", bucket))
        .exceptionallyCompose(error -> {
          Throwable cause = unwrap(error);
          if (cause instanceof NoSuchBucketException || statusCode(cause) == 404) {
            return createBucket(bucket);
          }
          if (statusCode(cause) == 403) {
            return CompletableFuture.failedFuture(new IllegalStateException("S3 bucket " + bucket
                + " exists but these credentials may not use it (owned by another account?)", cause));
          }
          return CompletableFuture.failedFuture(cause);
        });
  }

  private CompletableFuture<Void> createBucket(String bucket) {
    Region region = s3.serviceClientConfiguration().region();
    // us-east-1 is the one region that refuses an explicit location constraint.
    boolean needsLocation = region != null && !Region.US_EAST_1.equals(region);
    return call(() -> s3.createBucket(b -> {
          b.bucket(bucket);
          if (needsLocation) {
            b.createBucketConfiguration(c -> c.locationConstraint(region.id()));
          }
        }))
        .thenAccept(created -> LOG.info("Created S3 bucket {}", bucket))
        .exceptionallyCompose(error -> {
          Throwable cause = unwrap(error);
          if (cause instanceof BucketAlreadyOwnedByYouException) {
            LOG.info("Found S3 bucket {} (created concurrently by another process)", bucket);
            return CompletableFuture.completedFuture(null);
          }
          if (cause instanceof BucketAlreadyExistsException) {
            // Real S3 says this when another account owns the name; some emulators say it for our own bucket.
            return call(() -> s3.headBucket(b -> b.bucket(bucket)))
                .handle((found, headError) -> {
                  if (headError != null) {
                    throw new IllegalStateException("S3 bucket name " + bucket + " is taken by another account",
                        cause);
                  }
                  LOG.info("Found S3 bucket {} (created concurrently by another process)", bucket);
                  return null;
                });
          }
          return CompletableFuture.failedFuture(cause);
        });
  }

  private static int statusCode(Throwable error) {
    return error instanceof S3Exception s3Error ? s3Error.statusCode() : -1;
  }

  // ---------------------------------------------------------------------------------------------- helpers

  /** Turns a synchronous throw from request building into a failed future, so every path composes alike. */
  private static <T> CompletableFuture<T> call(java.util.function.Supplier<CompletableFuture<T>> request) {
    try {
      return request.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The SDK exception under the CompletionException / ExecutionException wrappers. */
  static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }
}
