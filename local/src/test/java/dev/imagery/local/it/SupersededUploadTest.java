package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.shared.image.ImageRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A new upload lands while the worker is still filtering the previous one: the old job's commit is refused, and the
 * worker deletes the results it wrote for the superseded upload, so none are left behind.
 */
class SupersededUploadTest {

  private static final String NAME = "superseded-test";

  private static ImageryStack stack;
  private static ApiClient api;

  @BeforeAll
  static void start() {
    stack = ImageryStack.start(TestStack.get().servers, RecordedCalls.env(), Map.of(
        "PORT", "0",
        "IMAGERY_TABLE", NAME + "-images",
        "IMAGERY_BUCKET", NAME + "-images",
        "IMAGERY_QUEUE", NAME + "-jobs",
        "IMAGERY_DEAD_LETTER_QUEUE", NAME + "-jobs-dlq",
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_WORKER_CONCURRENCY", "2",
        // Long enough for the second upload to land while the first is on the worker pool.
        "IMAGERY_FAULT_PROCESSING_DELAY_MS", "3000"));
    api = new ApiClient("http://127.0.0.1:" + stack.apiPort());
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void theSupersededUploadsResultsAreDeleted() {
    String id = api.createImage();
    assertThat(api.upload(id, Images.resource("pillow/hopper.jpg")).status()).isEqualTo(202);
    String firstUpload = uploadId(id);
    Poll.await("the worker to hold the first job", Duration.ofSeconds(20), SupersededUploadTest::inFlight,
        n -> n >= 1);

    assertThat(api.upload(id, Images.resource("exif-orientation-examples/Landscape_0.jpg")).status()).isEqualTo(202);
    api.awaitState(id, "processed");
    String secondUpload = uploadId(id);
    assertThat(secondUpload).isNotEqualTo(firstUpload);

    // Both jobs have ended once nothing is left in the queue; only then is the first one's cleanup done.
    Poll.await("both jobs to end", Duration.ofSeconds(30), SupersededUploadTest::pending, n -> n == 0);
    List<String> results = keys("processed/" + id + "/");
    assertThat(results).as("results left in the bucket")
        .containsExactlyInAnyOrder("processed/" + id + "/" + secondUpload + ".jpg",
            "processed/" + id + "/" + secondUpload + "-thumb.jpg");
  }

  /** The upload the record names now (the API does not show it). */
  private static String uploadId(String id) {
    Map<String, AttributeValue> item = stack.aws().dynamoDb().getItem(b -> b.tableName(NAME + "-images")
        .key(Map.of("id", AttributeValue.fromS(id))).consistentRead(true)).join().item();
    return ImageRecord.fromItem(item).uploadId().orElseThrow();
  }

  private static List<String> keys(String prefix) {
    return stack.aws().s3().listObjectsV2(b -> b.bucket(NAME + "-images").prefix(prefix)).join()
        .contents().stream().map(S3Object::key).toList();
  }

  private static int inFlight() {
    return attribute(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
  }

  private static int pending() {
    return attribute(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES) + inFlight();
  }

  private static int attribute(QueueAttributeName name) {
    String url = stack.aws().sqs().getQueueUrl(b -> b.queueName(NAME + "-jobs")).join().queueUrl();
    return Integer.parseInt(stack.aws().sqs().getQueueAttributes(b -> b.queueUrl(url).attributeNames(name)).join()
        .attributes().get(name));
  }
}
