package dev.imagery.shared.queue;

import dev.imagery.shared.aws.SdkFutures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityRequest;
import software.amazon.awssdk.services.sqs.model.DeleteMessageRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.PurgeQueueRequest;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/** The job queue: the API sends, the worker receives, extends, deletes. */
public final class JobQueue {

  private final Vertx vertx;
  private final SqsAsyncClient sqs;
  private final String url;

  public JobQueue(Vertx vertx, SqsAsyncClient sqs, String url) {
    this.vertx = vertx;
    this.sqs = sqs;
    this.url = url;
  }

  /** Looks the queue's URL up by name, so deployments configure names, not account-specific URLs. */
  public static Future<JobQueue> resolve(Vertx vertx, SqsAsyncClient sqs, String name) {
    return SdkFutures.call(vertx, () -> sqs.getQueueUrl(GetQueueUrlRequest.builder().queueName(name).build()))
        .map(response -> new JobQueue(vertx, sqs, response.queueUrl()));
  }

  public String url() {
    return url;
  }

  /** Sends a job; returns the SQS message id. */
  public Future<String> send(JobMessage job) {
    return sendBody(job.toJson());
  }

  /** Sends a body as it is (a dead letter going back, which may not even be a job). */
  public Future<String> sendBody(String body) {
    return SdkFutures.call(vertx, () -> sqs.sendMessage(SendMessageRequest.builder()
            .queueUrl(url)
            .messageBody(body)
            .build()))
        .map(response -> response.messageId());
  }

  /** Messages visible plus in flight, as SQS approximates them. */
  public Future<Long> approximateSize() {
    return SdkFutures.call(vertx, () -> sqs.getQueueAttributes(GetQueueAttributesRequest.builder()
            .queueUrl(url)
            .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)
            .build()))
        .map(response -> Long.parseLong(response.attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
            + Long.parseLong(response.attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)));
  }

  /** Deletes every message; real SQS allows this once a minute per queue. */
  public Future<Void> purge() {
    return SdkFutures.call(vertx, () -> sqs.purgeQueue(PurgeQueueRequest.builder().queueUrl(url).build())).mapEmpty();
  }

  public Future<List<Message>> receive(int max, int waitSeconds, int visibilityTimeoutSeconds) {
    return SdkFutures.call(vertx, () -> sqs.receiveMessage(ReceiveMessageRequest.builder()
            .queueUrl(url)
            .maxNumberOfMessages(max)
            .waitTimeSeconds(waitSeconds)
            .visibilityTimeout(visibilityTimeoutSeconds)
            .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT,
                MessageSystemAttributeName.SENT_TIMESTAMP)
            .build()))
        .map(response -> response.messages());
  }

  public Future<Void> delete(Message message) {
    return SdkFutures.call(vertx, () -> sqs.deleteMessage(DeleteMessageRequest.builder()
            .queueUrl(url)
            .receiptHandle(message.receiptHandle())
            .build()))
        .mapEmpty();
  }

  /** Hides the message for {@code seconds} more from now; 0 makes it visible again at once. */
  public Future<Void> changeVisibility(Message message, int seconds) {
    return SdkFutures.call(vertx, () -> sqs.changeMessageVisibility(ChangeMessageVisibilityRequest.builder()
            .queueUrl(url)
            .receiptHandle(message.receiptHandle())
            .visibilityTimeout(seconds)
            .build()))
        .mapEmpty();
  }

  /** Checks that the queue answers, for readiness. */
  public Future<Void> ping() {
    return SdkFutures.call(vertx, () -> sqs.getQueueAttributes(GetQueueAttributesRequest.builder()
            .queueUrl(url)
            .attributeNames(QueueAttributeName.QUEUE_ARN)
            .build()))
        .mapEmpty();
  }

  public static int receiveCount(Message message) {
    String count = message.attributes().get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT);
    return count == null ? 1 : Integer.parseInt(count);
  }
}
