package dev.imagery.shared.image;

import dev.imagery.shared.aws.SdkFutures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * Image records in DynamoDB. Every write is conditional: a create only where no item exists, every transition
 * only where {@code version} is still the one it was decided on. A lost race, or a retried write whose first
 * attempt had applied after a timeout, fails its condition; the store then decides again on the item DynamoDB
 * returns with the failure, which makes every transition idempotent.
 *
 * <p>With a retention, every write carries the TTL attribute {@link ImageRecord#EXPIRES_AT} (creation + retention),
 * and a record past it reads as gone, whether or not DynamoDB has deleted it yet (it does so within days).
 */
public final class ImageStore {

  private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);

  /** Enough for dozens of writers racing on one id; each round costs one conditional write. */
  private static final int MAX_ROUNDS = 64;

  private final Vertx vertx;
  private final DynamoDbAsyncClient dynamoDb;
  private final String table;
  private final Clock clock;
  /** Zero: records are kept until deleted. */
  private final Duration retention;

  /** A store whose records are kept until deleted. */
  public ImageStore(Vertx vertx, DynamoDbAsyncClient dynamoDb, String table, Clock clock) {
    this(vertx, dynamoDb, table, clock, Duration.ZERO);
  }

  /** A store whose records expire {@code retention} after their creation ({@code Duration.ZERO}: never). */
  public ImageStore(Vertx vertx, DynamoDbAsyncClient dynamoDb, String table, Clock clock, Duration retention) {
    this.vertx = vertx;
    this.dynamoDb = dynamoDb;
    this.table = table;
    this.clock = clock;
    this.retention = retention;
  }

  /** The outcome of a transition: the record as it now stands, and whether this call wrote it. */
  public record Committed(ImageRecord record, ImageRecord before, boolean written) {
  }

  /** Creates {@code id}, or returns the existing record: a repeated create is not an error. */
  public Future<Committed> create(String id) {
    ImageRecord record = ImageRecord.created(id, clock.instant());
    return SdkFutures.call(vertx, () -> dynamoDb.putItem(PutItemRequest.builder()
            .tableName(table)
            .item(itemOf(record))
            .conditionExpression("attribute_not_exists(id)")
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
            .build()))
        .map(done -> new Committed(record, record, true))
        .recover(err -> currentItem(err)
            .map(existing -> Future.succeededFuture(new Committed(existing, existing, false)))
            .orElseGet(() -> Future.failedFuture(err)));
  }

  /** The record, in any state ({@code deleting} too); not found once it is removed or past its retention. */
  public Future<ImageRecord> get(String id) {
    return SdkFutures.call(vertx, () -> dynamoDb.getItem(GetItemRequest.builder()
            .tableName(table)
            .key(Map.of("id", AttributeValue.fromS(id)))
            .consistentRead(true)
            .build()))
        .compose(response -> response.hasItem() && !response.item().isEmpty() && !expired(response.item())
            ? Future.succeededFuture(ImageRecord.fromItem(response.item()))
            : Future.failedFuture(new ImageNotFoundException(id)));
  }

  /**
   * The first step of a deletion: the image becomes {@code deleting}, whatever its state; already deleting is
   * success. From then on every other write is refused (no upload, result or failure is recorded for it), so the
   * objects can be deleted without a new one being referenced meanwhile. The record as it now stands.
   */
  public Future<ImageRecord> markDeleting(String id) {
    return get(id).compose(current -> commit(current, now -> now.state() == ImageState.DELETING
            ? Step.done()
            : Step.write(now.deleting(clock.instant())), MAX_ROUNDS))
        .map(Committed::record);
  }

  /**
   * The last step of a deletion: removes the record of an image that is {@code deleting} (its objects are gone);
   * already removed is success. A conditional {@code DeleteItem}, so it never removes an image that is not being
   * deleted.
   */
  public Future<Void> remove(String id) {
    return SdkFutures.call(vertx, () -> dynamoDb.deleteItem(DeleteItemRequest.builder()
            .tableName(table)
            .key(Map.of("id", AttributeValue.fromS(id)))
            .conditionExpression("#state = :deleting")
            .expressionAttributeNames(Map.of("#state", "state"))
            .expressionAttributeValues(Map.of(":deleting", AttributeValue.fromS(ImageState.DELETING.wireName())))
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
            .build()))
        .<Void>mapEmpty()
        .recover(err -> {
          if (err instanceof ConditionalCheckFailedException failed && (!failed.hasItem() || failed.item().isEmpty())) {
            return Future.succeededFuture(); // removed already: a repeated or concurrent delete
          }
          return currentItem(err)
              .map(other -> Future.<Void>failedFuture(new TransitionConflictException(other, ImageState.DELETING)))
              .orElseGet(() -> Future.failedFuture(err));
        });
  }

  /**
   * Makes {@code upload} the image's current upload. Sending the same bytes again (a client retry) leaves the
   * record as it is, whatever state it reached meanwhile.
   */
  public Future<Committed> markUploaded(String id, ImageRecord.Upload upload) {
    return get(id).compose(current -> commit(current, now -> {
      if (now.state() == ImageState.DELETING) {
        return Step.refuse(new TransitionConflictException(now, ImageState.UPLOADED));
      }
      if (now.uploadId().filter(upload.uploadId()::equals).isPresent()) {
        return Step.done();
      }
      boolean sameBytes = now.upload().map(u -> u.sha256().equals(upload.sha256())).orElse(false);
      if (sameBytes && now.state() != ImageState.CREATED) {
        return Step.done();
      }
      if (!now.state().canTransitionTo(ImageState.UPLOADED)) {
        return Step.refuse(new TransitionConflictException(now, ImageState.UPLOADED));
      }
      return Step.write(new ImageRecord(id, ImageState.UPLOADED, now.version() + 1, now.createdAt(),
          clock.instant(), Optional.of(upload), Optional.empty(), Optional.empty()));
    }, MAX_ROUNDS));
  }

  /** Commits the result of the upload {@code current} holds; already processed is success. */
  public Future<Committed> markProcessed(ImageRecord current, ImageRecord.Result result) {
    return finish(current, ImageState.PROCESSED, Optional.of(result), Optional.empty());
  }

  /** Marks the upload {@code current} holds as impossible to process; already failed is success. */
  public Future<Committed> markFailed(ImageRecord current, String reason) {
    return finish(current, ImageState.FAILED, Optional.empty(), Optional.of(reason));
  }

  /** An image waiting for the worker: the job that processes it. */
  public record Awaiting(String imageId, String uploadId, Instant since) {
  }

  /** One page of one index key's waiting images, oldest first, and where the next page starts (if any). */
  public record AwaitingPage(List<Awaiting> items, Optional<Map<String, AttributeValue>> next) {
  }

  /**
   * One page (at most {@code limit}) of the images under index key {@code awaitingKey} (one of
   * {@link ImageRecord#awaitingKeys()}) waiting since before {@code cutoff}, oldest first, starting after
   * {@code startKey} ({@code null}: from the oldest).
   */
  public Future<AwaitingPage> awaitingPage(String awaitingKey, Instant cutoff, int limit,
                                           Map<String, AttributeValue> startKey) {
    return SdkFutures.call(vertx, () -> dynamoDb.query(QueryRequest.builder()
            .tableName(table)
            .indexName(ImageRecord.AWAITING_INDEX)
            .keyConditionExpression("#awaiting = :key AND #since < :cutoff")
            .expressionAttributeNames(Map.of("#awaiting", ImageRecord.AWAITING, "#since", ImageRecord.AWAITING_SINCE))
            .expressionAttributeValues(Map.of(
                ":key", AttributeValue.fromS(awaitingKey),
                ":cutoff", ImageRecord.n(cutoff.toEpochMilli())))
            .scanIndexForward(true)
            .limit(limit)
            .exclusiveStartKey(startKey)
            .build()))
        .map(page -> new AwaitingPage(
            page.items().stream().map(item -> new Awaiting(item.get("id").s(), item.get("uploadId").s(),
                Instant.ofEpochMilli(Long.parseLong(item.get(ImageRecord.AWAITING_SINCE).n())))).toList(),
            page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
                ? Optional.of(page.lastEvaluatedKey())
                : Optional.empty()));
  }

  /**
   * A requeue claim's outcome: whether this caller won the due point, and how many requeues the current upload has
   * had, this one included (meaningful when claimed).
   */
  public record Claim(boolean claimed, int requeues, Optional<String> traceparent) {
    static final Claim LOST = new Claim(false, 0, Optional.empty());

    /** Read from the item the claim returned (all of it: the requeue carries the upload's trace on). */
    static Claim won(Map<String, AttributeValue> item) {
      return new Claim(true, ImageStore.requeues(item),
          Optional.ofNullable(item.get(ImageRecord.TRACEPARENT)).map(AttributeValue::s));
    }
  }

  /**
   * Claims the requeue of {@code waiting} for the due point {@code due}: claimed for exactly one caller per image,
   * upload and due point, however many reconcilers race. The {@code UpdateItem} succeeds only while the image is
   * still {@code uploaded} with this upload and its last claimed due point is older than {@code due}. It sets
   * {@link ImageRecord#REQUEUED_AT} and a claim token, counts {@link ImageRecord#REQUEUES}, and leaves {@code version}
   * and everything else alone, so a worker's commit (conditional on {@code version}) never fails because of it.
   *
   * <p>An SDK retry of a claim whose first attempt had applied fails its condition; the token in the returned item
   * says it was ours, so the claim still counts once.
   */
  public Future<Claim> claimRequeue(Awaiting waiting, Instant due) {
    String token = UUID.randomUUID().toString();
    return SdkFutures.call(vertx, () -> dynamoDb.updateItem(UpdateItemRequest.builder()
            .tableName(table)
            .key(Map.of("id", AttributeValue.fromS(waiting.imageId())))
            .updateExpression("SET #requeuedAt = :due, #claim = :token ADD #requeues :one")
            .conditionExpression(REQUEUE_CONDITION)
            .expressionAttributeNames(Map.of("#state", "state", "#uploadId", "uploadId",
                "#requeuedAt", ImageRecord.REQUEUED_AT, "#claim", REQUEUE_CLAIM, "#requeues", ImageRecord.REQUEUES))
            .expressionAttributeValues(Map.of(
                ":uploaded", AttributeValue.fromS(ImageState.UPLOADED.wireName()),
                ":upload", AttributeValue.fromS(waiting.uploadId()),
                ":due", ImageRecord.n(due.toEpochMilli()),
                ":token", AttributeValue.fromS(token),
                ":one", ImageRecord.n(1)))
            // The whole item, not only the counters: its traceparent goes with the requeued job.
            .returnValues(ReturnValue.ALL_NEW)
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
            .build()))
        .map(done -> Claim.won(done.attributes()))
        .recover(err -> {
          if (err instanceof ConditionalCheckFailedException failed) {
            boolean ours = failed.hasItem() && failed.item().containsKey(REQUEUE_CLAIM)
                && token.equals(failed.item().get(REQUEUE_CLAIM).s());
            LOG.debug("image={} upload={} requeue for due point {} {}", waiting.imageId(), waiting.uploadId(),
                due, ours ? "claimed by our own earlier attempt" : "already claimed, or no longer waiting");
            return Future.succeededFuture(ours ? Claim.won(failed.item()) : Claim.LOST);
          }
          return Future.failedFuture(err);
        });
  }

  private static int requeues(Map<String, AttributeValue> item) {
    AttributeValue value = item.get(ImageRecord.REQUEUES);
    return value == null ? 0 : Integer.parseInt(value.n());
  }

  /** The condition of a requeue claim (see {@link #claimRequeue}); the names and values it uses are fixed there. */
  static final String REQUEUE_CONDITION = "#state = :uploaded AND #uploadId = :upload"
      + " AND (attribute_not_exists(#requeuedAt) OR #requeuedAt < :due)";

  /** A random token per claim, next to {@link ImageRecord#REQUEUED_AT}: tells our own retried claim from another's. */
  static final String REQUEUE_CLAIM = "requeueClaim";

  /** Checks that the table answers, for readiness. */
  public Future<Void> ping() {
    return SdkFutures.call(vertx, () -> dynamoDb.describeTable(DescribeTableRequest.builder().tableName(table).build()))
        .mapEmpty();
  }

  private Future<Committed> finish(ImageRecord current, ImageState target, Optional<ImageRecord.Result> result,
                                   Optional<String> reason) {
    String uploadId = current.uploadId().orElseThrow(() -> new IllegalStateException("no upload on " + current.id()));
    return commit(current, now -> {
      boolean sameUpload = now.uploadId().filter(uploadId::equals).isPresent();
      if (sameUpload && now.state() == target) {
        return Step.done();
      }
      if (!sameUpload || !now.state().canTransitionTo(target)) {
        return Step.refuse(new TransitionConflictException(now, target));
      }
      return Step.write(new ImageRecord(now.id(), target, now.version() + 1, now.createdAt(), clock.instant(),
          now.upload(), result, reason));
    }, MAX_ROUNDS);
  }

  /** What a transition makes of the record as it stands now. */
  private record Step(ImageRecord next, RuntimeException refusal) {
    static Step done() {
      return new Step(null, null);
    }

    static Step write(ImageRecord next) {
      return new Step(next, null);
    }

    static Step refuse(RuntimeException refusal) {
      return new Step(null, refusal);
    }
  }

  private Future<Committed> commit(ImageRecord current, Function<ImageRecord, Step> decide, int roundsLeft) {
    Step step = decide.apply(current);
    if (step.refusal() != null) {
      return Future.failedFuture(step.refusal());
    }
    if (step.next() == null) {
      return Future.succeededFuture(new Committed(current, current, false));
    }
    ImageRecord next = step.next();
    return SdkFutures.call(vertx, () -> dynamoDb.putItem(PutItemRequest.builder()
            .tableName(table)
            .item(itemOf(next))
            .conditionExpression("#version = :expected")
            .expressionAttributeNames(Map.of("#version", "version"))
            .expressionAttributeValues(Map.of(":expected", ImageRecord.n(current.version())))
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
            .build()))
        .map(done -> new Committed(next, current, true))
        .recover(err -> {
          if (err instanceof ConditionalCheckFailedException failed && (!failed.hasItem() || failed.item().isEmpty())) {
            // No item to compare with: it was removed (deleted) since we read it. Nothing was written.
            return Future.failedFuture(new ImageNotFoundException(current.id()));
          }
          Optional<ImageRecord> latest = currentItem(err);
          if (latest.isEmpty()) {
            return Future.failedFuture(err);
          }
          if (roundsLeft <= 1) {
            return Future.failedFuture(new IllegalStateException("image " + current.id()
                + " kept changing under " + MAX_ROUNDS + " conditional writes"));
          }
          LOG.debug("image={} version {} moved to {} before our write; deciding again",
              current.id(), current.version(), latest.get().version());
          return commit(latest.get(), decide, roundsLeft - 1);
        });
  }

  /** The record's item, with its expiry when a retention is set (the same on every write: creation + retention). */
  private Map<String, AttributeValue> itemOf(ImageRecord record) {
    Map<String, AttributeValue> item = record.toItem();
    if (retention.isZero()) {
      return item;
    }
    Map<String, AttributeValue> withExpiry = new HashMap<>(item);
    withExpiry.put(ImageRecord.EXPIRES_AT, ImageRecord.n(record.createdAt().plus(retention).getEpochSecond()));
    return withExpiry;
  }

  /** Past its expiry: DynamoDB may keep an expired item for days before its TTL sweep deletes it. */
  private boolean expired(Map<String, AttributeValue> item) {
    AttributeValue expiresAt = item.get(ImageRecord.EXPIRES_AT);
    return expiresAt != null && expiresAt.n() != null
        && Long.parseLong(expiresAt.n()) <= clock.instant().getEpochSecond();
  }

  private static Optional<ImageRecord> currentItem(Throwable err) {
    if (err instanceof ConditionalCheckFailedException failed && failed.hasItem() && !failed.item().isEmpty()) {
      return Optional.of(ImageRecord.fromItem(failed.item()));
    }
    return Optional.empty();
  }
}
