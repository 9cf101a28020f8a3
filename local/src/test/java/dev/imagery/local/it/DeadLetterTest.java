package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.local.testing.Scrape;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.ObjectKeys;
import dev.imagery.shared.queue.JobMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * Poison messages end in the dead-letter queue, and operators list and redrive it through the admin routes.
 * A stack of its own (table, queues, bucket) on the shared emulators, so its dead letters concern nobody else.
 */
class DeadLetterTest {

  /** At least 32 characters, or the API refuses to start. */
  private static final String TOKEN = "test-admin-token-of-32-characters";
  private static final String QUEUE = "dlq-test-jobs";
  private static final String DEAD_LETTERS = "dlq-test-jobs-dlq";

  private static ImageryStack stack;
  private static ApiClient api;
  private static ApiClient adminPort;

  @BeforeAll
  static void start() {
    stack = ImageryStack.start(TestStack.get().servers, RecordedCalls.env(), Map.of(
        "PORT", "0",
        "IMAGERY_TABLE", "dlq-test-images",
        "IMAGERY_BUCKET", "dlq-test-images",
        "IMAGERY_QUEUE", QUEUE,
        "IMAGERY_DEAD_LETTER_QUEUE", DEAD_LETTERS,
        "IMAGERY_MAX_RECEIVE_COUNT", "2",
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        // The worker's dead-letter gauge reads the queue every second.
        "IMAGERY_DEAD_LETTER_POLL_SECONDS", "1",
        "IMAGERY_ADMIN_TOKEN", TOKEN));
    api = new ApiClient("http://127.0.0.1:" + stack.apiPort());
    adminPort = new ApiClient("http://127.0.0.1:" + stack.adminPort().orElseThrow());
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  /** The public port never serves them, whatever the spelling: a load balancer forwards only that one. */
  @Test
  void adminRoutesAreNotOnThePublicPort() {
    ErrorStatusTest.assertError(admin(api, "GET", "/admin/dead-letters", "Bearer " + TOKEN), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(admin(api, "DELETE", "/admin/dead-letters", "Bearer " + TOKEN), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(admin(api, "GET", "/image/../admin/dead-letters", "Bearer " + TOKEN), 404,
        "NOT_FOUND");
    ErrorStatusTest.assertError(admin(api, "GET", "/image/%2e%2e/admin/dead-letters", "Bearer " + TOKEN), 404,
        "NOT_FOUND");
    assertThat(stack.adminPort()).isNotEqualTo(java.util.Optional.of(stack.apiPort()));
  }

  @Test
  void adminRoutesAnswerOnlyTheirBearer() {
    ApiClient.Response none = adminPort.get("/admin/dead-letters");
    ApiClient.Response wrong = admin("GET", "/admin/dead-letters", "Bearer not-the-token");

    ErrorStatusTest.assertError(none, 401, "UNAUTHORIZED");
    assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
    ErrorStatusTest.assertError(wrong, 401, "UNAUTHORIZED");
    assertThat(none.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    assertThat(admin("GET", "/admin/dead-letters", "Bearer " + TOKEN).headers().firstValue("X-Content-Type-Options"))
        .contains("nosniff");
    ErrorStatusTest.assertError(TestStack.get().api.get("/admin/dead-letters"), 404, "NOT_FOUND");
    ErrorStatusTest.assertError(admin("GET", "/admin/dead-letters?limit=0", "Bearer " + TOKEN), 400, "INVALID_LIMIT");
    assertThat(adminPort.get("/metrics").status()).as("/metrics beside them needs no bearer").isEqualTo(200);
  }

  @Test
  void aPoisonMessageLandsInTheDeadLetterQueueAndARedrivenJobGetsProcessed() throws Exception {
    sendTo(QUEUE, "this is not a job");
    Poll.await("the poison message to reach the dead-letter queue", Duration.ofSeconds(60),
        () -> size(DEAD_LETTERS), n -> n == 1);

    JsonArray listed = admin("GET", "/admin/dead-letters", "Bearer " + TOKEN).json().getJsonArray("messages");
    assertThat(listed).hasSize(1);
    assertThat(listed.getJsonObject(0).getString("body")).isEqualTo("this is not a job");
    assertThat(size(DEAD_LETTERS)).as("listing leaves the messages in place").isEqualTo(1);
    awaitDeadLetterGauge(1);

    // A real job that died during an outage: its image waits in uploaded, its job sits in the dead-letter queue.
    String id = stuckImage();
    sendTo(DEAD_LETTERS, new JobMessage(id, uploadIdOf(id)).toJson());
    Poll.await("both dead letters", Duration.ofSeconds(30), () -> size(DEAD_LETTERS), n -> n == 2);

    JsonObject redriven = admin("POST", "/admin/dead-letters/redrive", "Bearer " + TOKEN).json();

    assertThat(redriven.getInteger("redriven")).isEqualTo(2);
    assertThat(api.awaitState(id, "processed").getLong("version")).isEqualTo(2);
    // The poison fails again and returns; an operator drops it.
    Poll.await("the poison message back in the dead-letter queue", Duration.ofSeconds(60),
        () -> size(DEAD_LETTERS), n -> n == 1);
    assertThat(admin("DELETE", "/admin/dead-letters", "Bearer " + TOKEN).status()).isEqualTo(204);
    Poll.await("an empty dead-letter queue", Duration.ofSeconds(30), () -> size(DEAD_LETTERS), n -> n == 0);
    awaitDeadLetterGauge(0);
  }

  /** The worker's imagery_dead_letter_messages, which it reads from SQS every second here, comes to {@code n}. */
  private static void awaitDeadLetterGauge(double n) {
    ApiClient worker = new ApiClient("http://127.0.0.1:" + stack.workerManagementPort());
    Poll.await("the worker's dead-letter gauge to read " + n, Duration.ofSeconds(30),
        () -> Scrape.of(worker).sum("imagery_dead_letter_messages"), value -> value == n);
  }

  private String stuckImage() throws Exception {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String id = api.createImage();
    String uploadId = UUID.randomUUID().toString();
    String rawKey = ObjectKeys.raw(id, uploadId);
    stack.aws().s3().putObject(PutObjectRequest.builder().bucket("dlq-test-images").key(rawKey)
        .contentType("image/jpeg").build(), AsyncRequestBody.fromBytes(photo)).get(30, TimeUnit.SECONDS);
    new ImageStore(stack.vertx(), stack.aws().dynamoDb(), "dlq-test-images", Clock.systemUTC())
        .markUploaded(id, new ImageRecord.Upload(uploadId, rawKey, "image/jpeg", photo.length, "-",
            Clock.systemUTC().instant()))
        .await(30, TimeUnit.SECONDS);
    return id;
  }

  private String uploadIdOf(String id) {
    return stack.aws().s3().listObjectsV2(b -> b.bucket("dlq-test-images").prefix("raw/" + id + "/")).join()
        .contents().get(0).key().substring(("raw/" + id + "/").length());
  }

  private static ApiClient.Response admin(String method, String path, String authorization) {
    return admin(adminPort, method, path, authorization);
  }

  private static ApiClient.Response admin(ApiClient client, String method, String path, String authorization) {
    return client.send(HttpRequest.newBuilder(URI.create(client.base() + path))
        .header("Authorization", authorization)
        .method(method, HttpRequest.BodyPublishers.noBody()));
  }

  private static void sendTo(String queue, String body) {
    stack.aws().sqs().sendMessage(SendMessageRequest.builder().queueUrl(url(queue)).messageBody(body).build()).join();
  }

  private static int size(String queue) {
    Map<QueueAttributeName, String> attributes = stack.aws().sqs().getQueueAttributes(GetQueueAttributesRequest
        .builder().queueUrl(url(queue)).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE).build()).join().attributes();
    return Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
        + Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
  }

  private static String url(String queue) {
    return stack.aws().sqs().getQueueUrl(GetQueueUrlRequest.builder().queueName(queue).build()).join().queueUrl();
  }
}
