package dev.imagery.local.it;

import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ObjectKeys;
import dev.imagery.shared.queue.JobMessage;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/** Direct looks at the emulators behind the API, to check what the API cannot show. */
final class Backend {

  private final TestStack stack;

  Backend(TestStack stack) {
    this.stack = stack;
  }

  List<String> keys(String prefix) {
    return stack.imagery.aws().s3().listObjectsV2(ListObjectsV2Request.builder()
            .bucket(stack.bucket()).prefix(prefix).build())
        .join()
        .contents().stream().map(S3Object::key).toList();
  }

  /** The upload id of an image's only raw object. */
  String uploadId(String imageId) {
    List<String> raw = keys("raw/" + imageId + "/");
    if (raw.size() != 1) {
      throw new AssertionError("expected one raw object for " + imageId + ", found " + raw);
    }
    return raw.get(0).substring(raw.get(0).lastIndexOf('/') + 1);
  }

  void sendJob(JobMessage job) {
    stack.imagery.aws().sqs().sendMessage(SendMessageRequest.builder()
        .queueUrl(queueUrl(stack.imagery.config().resources().queue()))
        .messageBody(job.toJson())
        .build()).join();
  }

  /**
   * A record in {@code uploaded}, written without its index keys, so that the test stack's own reconciler never
   * claims or requeues it while the test does.
   */
  ImageRecord waitingOutsideTheIndex() {
    String id = UUID.randomUUID().toString();
    String uploadId = UUID.randomUUID().toString();
    Instant now = Instant.now();
    ImageRecord record = new ImageRecord(id, ImageState.UPLOADED, 1, now, now,
        Optional.of(new ImageRecord.Upload(uploadId, ObjectKeys.raw(id, uploadId), "image/jpeg", 10, "x", now)),
        Optional.empty(), Optional.empty(), ImageRecord.ANONYMOUS);
    Map<String, AttributeValue> item = new HashMap<>(record.toItem());
    item.remove(ImageRecord.AWAITING);
    item.remove(ImageRecord.AWAITING_SINCE);
    stack.imagery.aws().dynamoDb().putItem(PutItemRequest.builder()
        .tableName(stack.imagery.config().resources().table()).item(item).build()).join();
    return record;
  }

  /** Visible plus in-flight messages of a queue. */
  int pending(String queueName) {
    Map<QueueAttributeName, String> attributes = stack.imagery.aws().sqs().getQueueAttributes(
        GetQueueAttributesRequest.builder()
            .queueUrl(queueUrl(queueName))
            .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)
            .build()).join().attributes();
    return Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
        + Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
  }

  /** The image's whole item, as DynamoDB holds it (consistent read), attributes outside the record included. */
  Map<String, AttributeValue> item(String id) {
    return stack.imagery.aws().dynamoDb().getItem(GetItemRequest.builder()
        .tableName(stack.imagery.config().resources().table())
        .key(Map.of("id", AttributeValue.fromS(id)))
        .consistentRead(true)
        .build()).join().item();
  }

  int pendingJobs() {
    return pending(stack.imagery.config().resources().queue());
  }

  int deadLetters() {
    return pending(stack.imagery.config().resources().deadLetterQueue());
  }

  private String queueUrl(String name) {
    return stack.imagery.aws().sqs().getQueueUrl(GetQueueUrlRequest.builder().queueName(name).build())
        .join().queueUrl();
  }
}
