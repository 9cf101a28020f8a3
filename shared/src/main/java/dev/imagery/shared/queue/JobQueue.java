package dev.imagery.shared.queue;

import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.logging.LogContext;
import dev.imagery.shared.logging.TraceParent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityRequest;
import software.amazon.awssdk.services.sqs.model.DeleteMessageRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.PurgeQueueRequest;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * The job queue: the API sends, the worker receives, extends, deletes. A job carries the trace of whoever sent it
 * (the upload's request, or the reconciler's requeue) in the message attribute {@value TraceParent#HEADER}, so that
 * the worker's lines for it log the same trace id.
 */
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

  /**
   * Sends a job, with the current request's or job's trace ({@link LogContext#trace()}) as its
   * {@value TraceParent#HEADER} attribute when there is one; returns the SQS message id.
   */
  public Future<String> send(JobMessage job) {
    Optional<TraceParent> trace = LogContext.trace();
    return SdkFutures.call(vertx, () -> sqs.sendMessage(SendMessageRequest.builder()
            .queueUrl(url)
            .messageBody(job.toJson())
            .messageAttributes(trace
                .map(t -> Map.of(TraceParent.HEADER, MessageAttributeValue.builder()
                    .dataType("String").stringValue(t.header()).build()))
                .orElse(Map.of()))
            .build()))
        .map(response -> response.messageId());
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
            .messageAttributeNames(TraceParent.HEADER)
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

  /** The trace a received job was sent with; empty when it has none or a malformed one. */
  public static Optional<TraceParent> trace(Message message) {
    MessageAttributeValue value = message.messageAttributes().get(TraceParent.HEADER);
    return value == null ? Optional.empty() : TraceParent.parse(value.stringValue());
  }

  /**
   * Runs the handling of a received message on a context of its own ({@link LogContext#run}), so that every line it
   * logs carries its message id, image and upload ids (when the body is a job), and its trace: the sender's trace id
   * with a span of this worker's, or a new trace for a message that came without one.
   */
  public static <T> Future<T> inContextOf(Message message, Supplier<Future<T>> work) {
    Map<String, String> fields = new LinkedHashMap<>();
    JobMessage.parse(message.body()).ifPresent(job -> {
      fields.put(LogContext.IMAGE_ID, job.imageId());
      fields.put(LogContext.UPLOAD_ID, job.uploadId());
    });
    fields.put(LogContext.MESSAGE_ID, message.messageId());
    TraceParent trace = trace(message).map(TraceParent::child).orElseGet(TraceParent::newTrace);
    return LogContext.run(fields, Optional.of(trace), work);
  }
}
