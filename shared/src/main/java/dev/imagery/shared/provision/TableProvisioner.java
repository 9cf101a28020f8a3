package dev.imagery.shared.provision;

import static dev.imagery.shared.provision.Calls.call;
import static dev.imagery.shared.provision.Calls.rethrow;
import static dev.imagery.shared.provision.Calls.unwrap;

import dev.imagery.shared.image.ImageRecord;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ContinuousBackupsUnavailableException;
import software.amazon.awssdk.services.dynamodb.model.CreateGlobalSecondaryIndexAction;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexUpdate;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PointInTimeRecoveryStatus;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveDescription;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;
import software.amazon.awssdk.services.dynamodb.waiters.DynamoDbAsyncWaiter;

/**
 * The DynamoDB table, as the production template has it: hash key {@code id} (S), on demand, the
 * {@code awaiting-index}, deletion protection, encryption with the AWS managed key, point-in-time recovery, and
 * time to live on {@code expiresAt} (the retention, {@link ImageRecord#EXPIRES_AT}).
 *
 * <p>A table that exists is left as it is, with two additive exceptions: a missing {@code awaiting-index} is added,
 * because the reconciler cannot run without it, and time to live is turned on when it is off, because expired
 * records would otherwise never leave. TTL is on whatever the retention: only records written with a retention carry
 * the attribute. Missing protection or recovery, or TTL on another attribute, is logged at WARN.
 */
final class TableProvisioner {

  private static final Logger LOG = LoggerFactory.getLogger(TableProvisioner.class);

  private static final Duration TABLE_POLL_INTERVAL = Duration.ofSeconds(1);
  private static final Duration TABLE_ACTIVE_TIMEOUT = Duration.ofMinutes(5);
  /** Right after creation AWS may refuse to enable PITR for a while (ContinuousBackupsUnavailableException). */
  private static final Duration BACKUPS_RETRY_INTERVAL = Duration.ofSeconds(5);
  private static final Duration BACKUPS_RETRY_WITHIN = Duration.ofMinutes(3);

  private final DynamoDbAsyncClient dynamoDb;

  TableProvisioner(DynamoDbAsyncClient dynamoDb) {
    this.dynamoDb = Objects.requireNonNull(dynamoDb, "dynamoDb");
  }

  /** Completes once the table is ACTIVE (and, if this call created it, protected and backed up). */
  CompletableFuture<Void> ensure(String table) {
    return call(() -> dynamoDb.describeTable(b -> b.tableName(table)))
        .thenCompose(described -> found(table, described.table()))
        .exceptionallyCompose(error -> unwrap(error) instanceof ResourceNotFoundException
            ? create(table)
            : CompletableFuture.failedFuture(unwrap(error)));
  }

  private CompletableFuture<Void> found(String table, TableDescription description) {
    requireExpectedKey(table, description);
    LOG.info("Found DynamoDB table {} ({})", table, description.tableStatusAsString());
    if (!Boolean.TRUE.equals(description.deletionProtectionEnabled())) {
      LOG.warn("DynamoDB table {} has deletion protection off where Imagery expects it on (left unchanged)", table);
    }
    CompletableFuture<Void> active = description.tableStatus() == TableStatus.ACTIVE
        ? CompletableFuture.<Void>completedFuture(null)
        : waitUntilActive(table);
    CompletableFuture<Void> indexed = hasAwaitingIndex(description)
        ? active
        : active.thenCompose(ready -> addAwaitingIndex(table));
    return indexed.thenCompose(ready -> ensureTimeToLive(table))
        .thenCompose(ready -> warnIfNoPointInTimeRecovery(table));
  }

  private CompletableFuture<Void> create(String table) {
    return call(() -> dynamoDb.createTable(b -> b.tableName(table)
            .attributeDefinitions(
                attribute(ResourceProvisioner.TABLE_HASH_KEY, ScalarAttributeType.S),
                attribute(ImageRecord.AWAITING, ScalarAttributeType.S),
                attribute(ImageRecord.AWAITING_SINCE, ScalarAttributeType.N))
            .keySchema(key(ResourceProvisioner.TABLE_HASH_KEY, KeyType.HASH))
            .globalSecondaryIndexes(awaitingIndex())
            .billingMode(BillingMode.PAY_PER_REQUEST)
            .deletionProtectionEnabled(true)
            // The AWS managed key (aws/dynamodb), as the template has it: its key policy lets the account's
            // principals use it through DynamoDB, so no role needs kms:* actions.
            .sseSpecification(sse -> sse.enabled(true))))
        .handle((created, error) -> {
          if (error == null) {
            LOG.info("Created DynamoDB table {} (hash key {}, on demand, deletion protection on, KMS encrypted)",
                table, ResourceProvisioner.TABLE_HASH_KEY);
            return true;
          }
          if (unwrap(error) instanceof ResourceInUseException) {
            // The winner of the race enables recovery; this process only waits for the table.
            LOG.info("Found DynamoDB table {} (created concurrently by another process)", table);
            return false;
          }
          throw rethrow(error);
        })
        .thenCompose(createdHere -> waitUntilActive(table)
            .thenCompose(active -> createdHere ? enablePointInTimeRecovery(table) : active())
            .thenCompose(recovered -> ensureTimeToLive(table)));
  }

  /**
   * Time to live on {@link ImageRecord#EXPIRES_AT}: turned on when off; left alone (WARN) when on for another
   * attribute, which DynamoDB allows only one of. Two processes may race to turn it on: the loser's "already enabled"
   * refusal is success.
   */
  private CompletableFuture<Void> ensureTimeToLive(String table) {
    return Calls.unlessUnimplemented(() -> dynamoDb.describeTimeToLive(b -> b.tableName(table))
            .thenCompose(described -> {
              TimeToLiveDescription ttl = described.timeToLiveDescription();
              TimeToLiveStatus status = ttl == null ? TimeToLiveStatus.DISABLED : ttl.timeToLiveStatus();
              boolean on = status == TimeToLiveStatus.ENABLED || status == TimeToLiveStatus.ENABLING;
              if (on && ImageRecord.EXPIRES_AT.equals(ttl.attributeName())) {
                return active();
              }
              if (on) {
                LOG.warn("DynamoDB table {} has time to live on attribute {} where Imagery expects {}: records will"
                    + " not expire (left unchanged)", table, ttl.attributeName(), ImageRecord.EXPIRES_AT);
                return active();
              }
              return enableTimeToLive(table);
            }))
        .thenAccept(refused -> refused.ifPresent(why -> LOG.info(
            "The DynamoDB endpoint does not support time to live ({}): table {} has none (an emulator; AWS always"
                + " supports it)", why, table)));
  }

  private CompletableFuture<Void> enableTimeToLive(String table) {
    return call(() -> dynamoDb.updateTimeToLive(b -> b.tableName(table)
            .timeToLiveSpecification(t -> t.attributeName(ImageRecord.EXPIRES_AT).enabled(true))))
        .handle((updated, error) -> {
          if (error == null) {
            LOG.info("Turned on time to live ({}) of DynamoDB table {}", ImageRecord.EXPIRES_AT, table);
          } else if (unwrap(error) instanceof DynamoDbException refused && refused.getMessage() != null
              && refused.getMessage().contains("already enabled")) {
            LOG.info("Time to live of DynamoDB table {} was turned on by another process", table);
          } else {
            throw rethrow(error);
          }
          return null;
        });
  }

  private CompletableFuture<Void> enablePointInTimeRecovery(String table) {
    return Calls.unlessUnimplemented(() -> Calls.retry(
            () -> dynamoDb.updateContinuousBackups(b -> b.tableName(table)
                .pointInTimeRecoverySpecification(p -> p.pointInTimeRecoveryEnabled(true))),
            ContinuousBackupsUnavailableException.class::isInstance,
            BACKUPS_RETRY_INTERVAL, BACKUPS_RETRY_WITHIN, "Enabling point-in-time recovery of " + table))
        .thenAccept(refused -> refused.ifPresentOrElse(
            why -> LOG.info("The DynamoDB endpoint does not support point-in-time recovery ({}):"
                + " table {} has none (an emulator; AWS always supports it)", why, table),
            () -> LOG.info("Enabled point-in-time recovery of DynamoDB table {}", table)));
  }

  private CompletableFuture<Void> warnIfNoPointInTimeRecovery(String table) {
    return Calls.unlessUnimplemented(() -> dynamoDb.describeContinuousBackups(b -> b.tableName(table))
            .thenAccept(response -> {
              var recovery = response.continuousBackupsDescription().pointInTimeRecoveryDescription();
              if (recovery == null || recovery.pointInTimeRecoveryStatus() != PointInTimeRecoveryStatus.ENABLED) {
                LOG.warn("DynamoDB table {} has point-in-time recovery {} where Imagery expects ENABLED"
                    + " (left unchanged)", table, recovery == null ? null : recovery.pointInTimeRecoveryStatusAsString());
              }
            }))
        .thenAccept(refused -> refused.ifPresent(why -> LOG.info(
            "The DynamoDB endpoint does not support point-in-time recovery ({}): not checked for table {}",
            why, table)))
        // Only a check (like the queue settings check): a role without the right to read it still starts.
        .exceptionally(error -> {
          LOG.warn("Could not read the point-in-time recovery of DynamoDB table {} to check it: {}",
              table, unwrap(error).toString());
          return null;
        });
  }

  /** Images in {@code uploaded}, by how long they have waited; carries the upload id the job needs. */
  private static GlobalSecondaryIndex awaitingIndex() {
    return GlobalSecondaryIndex.builder()
        .indexName(ImageRecord.AWAITING_INDEX)
        .keySchema(key(ImageRecord.AWAITING, KeyType.HASH), key(ImageRecord.AWAITING_SINCE, KeyType.RANGE))
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
                attribute(ImageRecord.AWAITING, ScalarAttributeType.S),
                attribute(ImageRecord.AWAITING_SINCE, ScalarAttributeType.N))
            .globalSecondaryIndexUpdates(GlobalSecondaryIndexUpdate.builder().create(CreateGlobalSecondaryIndexAction.builder()
                .indexName(index.indexName()).keySchema(index.keySchema()).projection(index.projection()).build())
                .build())))
        .handle((updated, error) -> {
          if (error == null) {
            LOG.info("Added index {} to DynamoDB table {}", ImageRecord.AWAITING_INDEX, table);
          } else if (unwrap(error) instanceof ResourceInUseException) {
            LOG.info("Index {} of DynamoDB table {} is being added by another process", ImageRecord.AWAITING_INDEX, table);
          } else {
            throw rethrow(error);
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
        && ResourceProvisioner.TABLE_HASH_KEY.equals(key.get(0).attributeName())
        && key.get(0).keyType() == KeyType.HASH
        && description.attributeDefinitions().stream().anyMatch(a ->
            ResourceProvisioner.TABLE_HASH_KEY.equals(a.attributeName()) && a.attributeType() == ScalarAttributeType.S);
    if (!expected) {
      throw new IllegalStateException("DynamoDB table " + table + " exists but its key is " + key
          + "; Imagery needs a single hash key '" + ResourceProvisioner.TABLE_HASH_KEY + "' of type S");
    }
  }

  private static AttributeDefinition attribute(String name, ScalarAttributeType type) {
    return AttributeDefinition.builder().attributeName(name).attributeType(type).build();
  }

  private static KeySchemaElement key(String name, KeyType type) {
    return KeySchemaElement.builder().attributeName(name).keyType(type).build();
  }

  private static CompletableFuture<Void> active() {
    return CompletableFuture.completedFuture(null);
  }
}
