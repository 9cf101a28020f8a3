package dev.imagery.shared.image;

import dev.imagery.shared.aws.SdkFutures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * Counts the processing attempts at an image's current upload, on its record, so that a job that keeps killing its
 * workers (out of memory, a crash, a kill) ends {@code failed} instead of circling between the queue, the
 * dead-letter queue and the reconciler.
 *
 * <p>Two counters beside the record ({@link ImageRecord#ATTEMPTS_STARTED}, {@link ImageRecord#ATTEMPTS_ENDED}):
 * started is counted before a worker starts the work, ended when a worker, still alive, lets go of a job it could
 * not finish for a reason that was not the image's (S3 or DynamoDB failing, its deadline passing while it waited on
 * them, a shutdown). Started minus ended, less the attempt running now, is the number of attempts that never
 * reported back: their worker died. A transient failure costs no attempt; it costs a receive, which the queue counts
 * on its own (see the worker's {@code AttemptLimits}).
 *
 * <p>Both are written with a conditional {@code UpdateItem} that leaves {@code version} alone, so they never make a
 * transition fail, and only while the image waits in {@code uploaded} for that upload; every transition's whole-item
 * {@code PutItem} drops them, so a new upload starts from zero. Each write carries a random token: an SDK retry of a
 * write whose first try applied fails its condition, and the token in the returned item says the write was ours, so
 * it counts once. (Only a second writer landing between a try and its retry could make a retry count twice; an extra
 * unfinished attempt is the cost, never a lost one.)
 */
public final class AttemptLedger {

  private static final String START_TOKEN = "attemptStartToken";
  private static final String END_TOKEN = "attemptEndToken";
  private static final String CONDITION = "#state = :uploaded AND #uploadId = :upload"
      + " AND (attribute_not_exists(#token) OR #token <> :token)";

  private final Vertx vertx;
  private final DynamoDbAsyncClient dynamoDb;
  private final String table;

  public AttemptLedger(Vertx vertx, DynamoDbAsyncClient dynamoDb, String table) {
    this.vertx = vertx;
    this.dynamoDb = dynamoDb;
    this.table = table;
  }

  /** The attempts at one upload, the one starting now included. */
  public record Attempts(int started, int ended) {

    /** Attempts before the one starting now that never reported back: their worker died while it held the job. */
    public int unfinishedBefore() {
      return Math.max(0, started - 1 - ended);
    }

    /** This attempt's number among those that count (attempts that ended, not the image's fault, don't): 1 first. */
    public int number() {
      return Math.max(1, started - ended);
    }
  }

  /** An attempt counted as started: the record as the write left it, and the attempts at its upload. */
  public record Begun(ImageRecord record, Attempts attempts) {
  }

  /**
   * Counts an attempt at upload {@code uploadId} of image {@code imageId} as started, and returns the record as the
   * write left it ({@code ALL_NEW}): a job needs no read of its own first, the write's condition decides whether
   * there is work. Fails with {@link TransitionConflictException}, carrying the record as it stands, when the image
   * does not wait for that upload (processed, failed, uploaded again meanwhile, or not uploaded yet), and with
   * {@link ImageNotFoundException} when it is gone.
   */
  public Future<Begun> begin(String imageId, String uploadId) {
    return count(imageId, uploadId, ImageRecord.ATTEMPTS_STARTED, START_TOKEN)
        .map(item -> new Begun(ImageRecord.fromItem(item), attempts(item)));
  }

  /**
   * Counts an attempt at {@code record}'s upload as started. Fails with {@link TransitionConflictException} when the
   * image no longer waits for that upload (processed, failed, or uploaded again meanwhile), and with
   * {@link ImageNotFoundException} when it is gone.
   */
  public Future<Attempts> begin(ImageRecord record) {
    return count(record.id(), uploadId(record), ImageRecord.ATTEMPTS_STARTED, START_TOKEN)
        .map(AttemptLedger::attempts);
  }

  /**
   * Counts an attempt at {@code record}'s upload as ended without finishing, for a reason not the image's. Does
   * nothing once the image has left that upload's wait.
   */
  public Future<Void> end(ImageRecord record) {
    return count(record.id(), uploadId(record), ImageRecord.ATTEMPTS_ENDED, END_TOKEN)
        .<Void>mapEmpty()
        .recover(err -> err instanceof TransitionConflictException || err instanceof ImageNotFoundException
            ? Future.succeededFuture()
            : Future.failedFuture(err));
  }

  private static String uploadId(ImageRecord record) {
    return record.uploadId().orElseThrow(() -> new IllegalStateException("no upload on " + record.id()));
  }

  /** The item with {@code counter} counted once more. */
  private Future<Map<String, AttributeValue>> count(String imageId, String uploadId, String counter,
                                                     String tokenName) {
    String token = UUID.randomUUID().toString();
    return SdkFutures.call(vertx, () -> dynamoDb.updateItem(UpdateItemRequest.builder()
            .tableName(table)
            .key(Map.of("id", AttributeValue.fromS(imageId)))
            .updateExpression("SET #token = :token ADD #counter :one")
            .conditionExpression(CONDITION)
            .expressionAttributeNames(Map.of("#state", "state", "#uploadId", "uploadId", "#token", tokenName,
                "#counter", counter))
            .expressionAttributeValues(Map.of(
                ":uploaded", AttributeValue.fromS(ImageState.UPLOADED.wireName()),
                ":upload", AttributeValue.fromS(uploadId),
                ":token", AttributeValue.fromS(token),
                ":one", ImageRecord.n(1)))
            .returnValues(ReturnValue.ALL_NEW)
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
            .build()))
        .map(response -> response.attributes())
        .recover(err -> {
          if (!(err instanceof ConditionalCheckFailedException failed)) {
            return Future.failedFuture(err);
          }
          if (!failed.hasItem() || failed.item().isEmpty()) {
            return Future.failedFuture(new ImageNotFoundException(imageId));
          }
          Map<String, AttributeValue> item = failed.item();
          AttributeValue written = item.get(tokenName);
          if (written != null && token.equals(written.s())) {
            return Future.succeededFuture(item); // an SDK retry of our own write, which had applied
          }
          return Future.failedFuture(new TransitionConflictException(ImageRecord.fromItem(item), ImageState.UPLOADED));
        });
  }

  private static Attempts attempts(Map<String, AttributeValue> item) {
    return new Attempts(number(item, ImageRecord.ATTEMPTS_STARTED), number(item, ImageRecord.ATTEMPTS_ENDED));
  }

  private static int number(Map<String, AttributeValue> item, String name) {
    AttributeValue value = item.get(name);
    return value == null ? 0 : Integer.parseInt(value.n());
  }
}
