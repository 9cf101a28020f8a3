package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.ObjectKeys;
import dev.imagery.shared.queue.JobMessage;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * {@code DELETE /image/{id}} removes the record and every object of the image, a delete cut short is finished by the
 * next, a job for a deleted image is dropped and leaves nothing, and so does an image deleted while the worker
 * processes it; with a retention, every record carries its expiry. A stack of its own on the shared emulators: every
 * image takes {@value #PROCESSING_DELAY_MS} ms longer on the worker, so a delete can land mid-job.
 */
class DeletionTest {

  private static final long PROCESSING_DELAY_MS = 1500;
  private static final int RETENTION_DAYS = 7;
  private static final String TABLE = "deletion-test-images";
  private static final String BUCKET = "deletion-test-images";
  private static final String QUEUE = "deletion-test-jobs";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static ImageryStack stack;
  private static ApiClient api;
  private static ImageStore store;

  @BeforeAll
  static void start() {
    stack = ImageryStack.start(TestStack.get().servers, RecordedCalls.env(), Map.of(
        "PORT", "0",
        "IMAGERY_TABLE", TABLE,
        "IMAGERY_BUCKET", BUCKET,
        "IMAGERY_QUEUE", QUEUE,
        "IMAGERY_DEAD_LETTER_QUEUE", QUEUE + "-dlq",
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_WORKER_CONCURRENCY", "2",
        "IMAGERY_FAULT_PROCESSING_DELAY_MS", Long.toString(PROCESSING_DELAY_MS),
        "IMAGERY_RETENTION_DAYS", Integer.toString(RETENTION_DAYS)));
    api = new ApiClient("http://127.0.0.1:" + stack.apiPort());
    store = new ImageStore(stack.vertx(), stack.aws().dynamoDb(), TABLE, Clock.systemUTC(),
        Duration.ofDays(RETENTION_DAYS));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void aProcessedImageIsDeletedWithEveryObjectItEverHad() {
    String id = processedImage();
    // What a crash can leave beside the image's own objects: an upload never committed, a result of another upload.
    put(ObjectKeys.raw(id, UUID.randomUUID().toString()));
    put(ObjectKeys.result(id, UUID.randomUUID().toString(), "png"));
    assertThat(keys(id)).as("upload, result, thumbnail and the two left behind").hasSize(5);

    ApiClient.Response deleted = api.send("DELETE", "/image/" + id);

    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
    assertThat(deleted.body()).isEmpty();
    assertThat(item(id)).as("the record").isEmpty();
    assertThat(keys(id)).as("the objects").isEmpty();
    ErrorStatusTest.assertError(api.get("/image/" + id), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(api.get("/image/" + id + "/original"), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(api.get("/image/" + id + "/result"), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(api.send("DELETE", "/image/" + id), 404, "NOT_FOUND");
  }

  @Test
  void anImageNeverUploadedIsDeletedAndUnknownOrMalformedIdsAreRefused() {
    String id = api.createImage();

    assertThat(api.send("DELETE", "/image/" + id).status()).isEqualTo(204);

    assertThat(item(id)).isEmpty();
    ErrorStatusTest.assertError(api.send("DELETE", "/image/" + UUID.randomUUID()), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(api.send("DELETE", "/image/not-a-uuid"), 400, "INVALID_ID");
  }

  /** As if the API died after the first step, and during the second: the record says deleting, objects remain. */
  @Test
  void aDeleteCutShortShowsAsDeletingRefusesEverythingAndIsFinishedByTheNextDelete() throws Exception {
    String id = processedImage();
    String uploadId = item(id).get("uploadId").s();
    ImageRecord deleting = store.markDeleting(id).await(30, TimeUnit.SECONDS);
    delete(ObjectKeys.thumbnail(id, uploadId));
    assertThat(keys(id)).hasSize(2);

    JsonObject shown = api.get("/image/" + id).json();
    assertThat(shown.getString("state")).isEqualTo("deleting");
    assertThat(shown.getLong("version")).isEqualTo(deleting.version());
    assertThat(shown.containsKey("original")).as("its objects are going").isFalse();
    assertThat(shown.containsKey("result")).isFalse();
    assertThat(api.get("/image/" + id + "?waitFor=processed&timeout=20").json().getString("state"))
        .as("a wait ends at once: the image reaches no other state").isEqualTo("deleting");
    ErrorStatusTest.assertError(api.get("/image/" + id + "/original"), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(api.get("/image/" + id + "/result"), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(api.upload(id, Images.resource("pngsuite/basn2c08.png")), 409, "CONFLICT");
    assertThat(keys(id)).as("the refused upload left nothing").hasSize(2);

    // A redelivered job meanwhile: dropped, and it writes nothing.
    sendJob(new JobMessage(id, uploadId));
    awaitNoJobs();
    assertThat(item(id).get("state").s()).isEqualTo("deleting");
    assertThat(item(id).get("version").n()).isEqualTo(Long.toString(deleting.version()));

    assertThat(api.send("DELETE", "/image/" + id).status()).isEqualTo(204);

    assertThat(item(id)).isEmpty();
    assertThat(keys(id)).isEmpty();
  }

  /** A worker that died between storing its result and committing it: the next delivery finds no image. */
  @Test
  void aJobForADeletedImageIsDroppedAndTakesWhatItsEarlierDeliveryStoredWithIt() {
    String id = processedImage();
    String uploadId = item(id).get("uploadId").s();
    assertThat(api.send("DELETE", "/image/" + id).status()).isEqualTo(204);
    put(ObjectKeys.result(id, uploadId, "jpg"));
    put(ObjectKeys.thumbnail(id, uploadId));

    sendJob(new JobMessage(id, uploadId));
    awaitNoJobs();

    assertThat(item(id)).isEmpty();
    assertThat(keys(id)).isEmpty();
  }

  @Test
  void anImageDeletedWhileTheWorkerProcessesItLeavesNothingBehind() {
    String id = api.createAndUpload(UUID.randomUUID().toString(), Images.resource("pillow/hopper.jpg"));
    // The attempt is counted before the work: the worker holds the job and sleeps its delay before decoding.
    Poll.await("the worker to start on " + id, WAIT, () -> item(id),
        item -> item.containsKey(ImageRecord.ATTEMPTS_STARTED));

    ApiClient.Response deleted = api.send("DELETE", "/image/" + id);

    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
    assertThat(item(id)).isEmpty();
    // The worker goes on, stores its result, has its commit refused, and deletes what it stored.
    awaitNoJobs();
    assertThat(keys(id)).as("objects of " + id).isEmpty();
    assertThat(item(id)).as("no record resurrected").isEmpty();
  }

  @Test
  void deletesAtTheSameTimeAllSucceedOrFindNothing() {
    String id = processedImage();

    List<CompletableFuture<Integer>> deletes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      deletes.add(CompletableFuture.supplyAsync(() -> api.send("DELETE", "/image/" + id).status()));
    }

    List<Integer> statuses = deletes.stream().map(CompletableFuture::join).toList();
    assertThat(statuses).contains(204).allMatch(status -> status == 204 || status == 404);
    assertThat(item(id)).isEmpty();
    assertThat(keys(id)).isEmpty();
  }

  @Test
  void everyWriteCarriesTheRecordsExpiryAndAnExpiredRecordIsGone() {
    String id = processedImage();
    Map<String, AttributeValue> item = item(id);
    long createdAt = Long.parseLong(item.get("createdAt").n());

    assertThat(Long.parseLong(item.get(ImageRecord.EXPIRES_AT).n())).as("written by the worker's commit too")
        .isEqualTo(Instant.ofEpochMilli(createdAt).plus(Duration.ofDays(RETENTION_DAYS)).getEpochSecond());
    assertThat(stack.aws().dynamoDb().describeTimeToLive(b -> b.tableName(TABLE)).join().timeToLiveDescription())
        .satisfies(ttl -> {
          assertThat(ttl.timeToLiveStatus()).isEqualTo(TimeToLiveStatus.ENABLED);
          assertThat(ttl.attributeName()).isEqualTo(ImageRecord.EXPIRES_AT);
        });

    // DynamoDB deletes an expired item within days; until then it is gone for every reader.
    stack.aws().dynamoDb().updateItem(b -> b.tableName(TABLE).key(Map.of("id", AttributeValue.fromS(id)))
        .updateExpression("SET #expires = :past")
        .expressionAttributeNames(Map.of("#expires", ImageRecord.EXPIRES_AT))
        .expressionAttributeValues(Map.of(":past",
            AttributeValue.fromN(Long.toString(Instant.now().getEpochSecond() - 1))))).join();

    ErrorStatusTest.assertError(api.get("/image/" + id), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(api.get("/image/" + id + "/result"), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(api.send("DELETE", "/image/" + id), 404, "NOT_FOUND");
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static String processedImage() {
    String id = api.createAndUpload(UUID.randomUUID().toString(), Images.resource("pillow/hopper.jpg"));
    JsonObject done = api.awaitFinal(id);
    assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");
    return id;
  }

  /** Every key under the image's prefixes. */
  private static List<String> keys(String id) {
    List<String> keys = new ArrayList<>();
    for (String prefix : ObjectKeys.prefixes(id)) {
      stack.aws().s3().listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix)).join().contents().stream()
          .map(S3Object::key).forEach(keys::add);
    }
    return keys;
  }

  private static void put(String key) {
    stack.aws().s3().putObject(b -> b.bucket(BUCKET).key(key).contentType("image/jpeg"),
        AsyncRequestBody.fromBytes(Images.resource("pillow/hopper.jpg"))).join();
  }

  private static void delete(String key) {
    stack.aws().s3().deleteObject(b -> b.bucket(BUCKET).key(key)).join();
  }

  private static Map<String, AttributeValue> item(String id) {
    return stack.aws().dynamoDb().getItem(b -> b.tableName(TABLE).key(Map.of("id", AttributeValue.fromS(id)))
        .consistentRead(true)).join().item();
  }

  private static void sendJob(JobMessage job) {
    stack.aws().sqs().sendMessage(b -> b.queueUrl(queueUrl()).messageBody(job.toJson())).join();
  }

  /** Until no job is queued or in flight: the worker is done with every job it had. */
  private static void awaitNoJobs() {
    Poll.await("the jobs queue to be empty", WAIT, () -> {
      Map<QueueAttributeName, String> attributes = stack.aws().sqs().getQueueAttributes(b -> b.queueUrl(queueUrl())
          .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
              QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).join().attributes();
      return Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
          + Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }, pending -> pending == 0);
  }

  private static String queueUrl() {
    return stack.aws().sqs().getQueueUrl(b -> b.queueName(QUEUE)).join().queueUrl();
  }
}
