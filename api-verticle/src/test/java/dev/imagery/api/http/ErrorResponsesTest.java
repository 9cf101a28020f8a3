package dev.imagery.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imagery.api.upload.PayloadTooLargeException;
import dev.imagery.shared.image.ImageNotFoundException;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.TransitionConflictException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The failure handler, as the API mounts it (ApiVerticle: the router's failure handler and its 404/405 handlers), on
 * a real Vert.x HTTP server on 127.0.0.1, called by a real HTTP client: each kind of failure a route can meet comes
 * back with its status, its code and a message, as {@code {"error", "message"}} JSON, and nothing of our insides.
 */
class ErrorResponsesTest {

  private static final String IMAGE_ID = "3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48";
  /** What an unexpected exception carries that must never reach a client. */
  private static final String INTERNALS = "jdbc://10.0.0.7:5432 password=hunter2";

  private static Vertx vertx;
  private static HttpServer server;
  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    failWith(router, "/api-exception", () -> new ApiException(422, "INVALID_WAIT_FOR", "waitFor must be a state"));
    failWith(router, "/busy", () -> new ApiException(503, "BUSY", "too many uploads; retry in a few seconds"));
    failWith(router, "/not-found", () -> new ImageNotFoundException(IMAGE_ID));
    failWith(router, "/no-such-key", () -> NoSuchKeyException.builder().message("The key raw/x does not exist")
        .statusCode(404).build());
    failWith(router, "/conflict", () -> new TransitionConflictException(
        ImageRecord.created(IMAGE_ID, Instant.parse("2026-01-01T00:00:00Z")), ImageState.PROCESSED));
    failWith(router, "/too-large", () -> new PayloadTooLargeException(1024));
    failWith(router, "/sdk-client", () -> SdkClientException.create("Unable to execute HTTP request: " + INTERNALS));
    failWith(router, "/timeout", () -> new TimeoutException("GetItem after 10000 ms"));
    failWith(router, "/sdk-500", () -> SdkServiceException.builder().statusCode(500).message(INTERNALS).build());
    failWith(router, "/sdk-429", () -> SdkServiceException.builder().statusCode(429).message(INTERNALS).build());
    failWith(router, "/sdk-throttled", () -> AwsServiceException.builder().statusCode(400).message(INTERNALS)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("ProvisionedThroughputExceededException").build())
        .build());
    failWith(router, "/sdk-400", () -> AwsServiceException.builder().statusCode(400).message(INTERNALS)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("ValidationException").build()).build());
    failWith(router, "/unexpected", () -> new IllegalStateException(INTERNALS));
    router.get("/thrown").handler(ctx -> {
      throw new ApiException(400, "INVALID_ID", "image ids are UUIDs");
    });
    router.get("/status-only").handler(ctx -> ctx.fail(400));
    router.get("/fail-without-status").handler(ctx -> ctx.fail(new NullPointerException(INTERNALS)));
    router.get("/mid-body").handler(ctx -> {
      ctx.response().setChunked(true).putHeader("Content-Type", "image/jpeg").write("the first bytes of an image");
      ctx.fail(SdkClientException.create("the S3 download broke off"));
    });
    // Refuses the upload without reading its body, as a route does on a declared size over the limit.
    router.post("/unread-body").handler(ctx -> ctx.fail(new PayloadTooLargeException(1024)));
    router.get("/only-get").handler(ctx -> ctx.response().end("ok"));
    router.route().failureHandler(ErrorResponses::handle);
    router.errorHandler(404, ErrorResponses::handle);
    router.errorHandler(405, ErrorResponses::handle);
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static void failWith(Router router, String path, Supplier<Throwable> failure) {
    router.get(path).handler(ctx -> ctx.fail(failure.get()));
  }

  @Test
  void anApiExceptionKeepsItsStatusCodeAndMessage() throws Exception {
    HttpResponse<String> response = get("/api-exception");

    assertError(response, 422, "INVALID_WAIT_FOR");
    assertThat(json(response).getString("message")).isEqualTo("waitFor must be a state");
    assertThat(response.headers().firstValue("Retry-After")).isEmpty();
  }

  @Test
  void anApiExceptionThrownByAHandlerIsAnsweredTheSame() throws Exception {
    HttpResponse<String> response = get("/thrown");

    assertError(response, 400, "INVALID_ID");
    assertThat(json(response).getString("message")).isEqualTo("image ids are UUIDs");
  }

  @Test
  void aRefusalWith503TellsTheClientWhenToRetry() throws Exception {
    HttpResponse<String> response = get("/busy");

    assertError(response, 503, "BUSY");
    assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
  }

  @Test
  void anUnknownImageAndAMissingObjectAre404() throws Exception {
    HttpResponse<String> image = get("/not-found");
    HttpResponse<String> object = get("/no-such-key");

    assertError(image, 404, "NOT_FOUND");
    assertThat(json(image).getString("message")).isEqualTo("no image with id " + IMAGE_ID);
    assertError(object, 404, "NOT_FOUND");
    assertThat(json(object).getString("message")).isEqualTo("the stored object is gone").doesNotContain("raw/x");
  }

  @Test
  void aRefusedTransitionIs409AndSaysWhy() throws Exception {
    HttpResponse<String> response = get("/conflict");

    assertError(response, 409, "CONFLICT");
    assertThat(json(response).getString("message")).isEqualTo(
        "image " + IMAGE_ID + " is created and cannot become processed");
  }

  @Test
  void aFileOverTheLimitIs413() throws Exception {
    HttpResponse<String> response = get("/too-large");

    assertError(response, 413, "PAYLOAD_TOO_LARGE");
    assertThat(json(response).getString("message")).contains("1024 bytes");
  }

  @Test
  void aBackendThatDoesNotAnswerIs503WithRetryAfterAndNoDetails() throws Exception {
    for (String path : new String[] {"/sdk-client", "/timeout", "/sdk-500", "/sdk-429", "/sdk-throttled"}) {
      HttpResponse<String> response = get(path);

      assertError(response, 503, "UNAVAILABLE");
      assertThat(json(response).getString("message")).as(path)
          .isEqualTo("a storage backend is not answering; retry later");
      assertThat(response.headers().firstValue("Retry-After")).as(path).hasValue("5");
    }
  }

  @Test
  void aBackendRefusingOurRequestIsOurBugA500NotAnOutage() throws Exception {
    HttpResponse<String> response = get("/sdk-400");

    assertError(response, 500, "INTERNAL");
    assertThat(response.headers().firstValue("Retry-After")).isEmpty();
  }

  @Test
  void anUnexpectedExceptionIs500WithoutAnyOfItsDetails() throws Exception {
    for (String path : new String[] {"/unexpected", "/fail-without-status"}) {
      HttpResponse<String> response = get(path);

      assertError(response, 500, "INTERNAL");
      assertThat(json(response).getString("message")).as(path).isEqualTo("unexpected error");
      assertThat(response.body()).as(path)
          .doesNotContain("hunter2", "10.0.0.7", "IllegalState", "NullPointer", "at dev.imagery");
    }
  }

  @Test
  void aStatusWithoutAnExceptionGetsItsGenericCode() throws Exception {
    assertError(get("/status-only"), 400, "BAD_REQUEST");
  }

  @Test
  void anUnknownRouteIs404AndAMethodTheRouteDoesNotTakeIs405AsJson() throws Exception {
    HttpResponse<String> unknown = get("/no/such/route");
    HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(uri("/only-get"))
        .DELETE().build());

    assertError(unknown, 404, "NOT_FOUND");
    assertError(wrongMethod, 405, "METHOD_NOT_ALLOWED");
    assertThat(get("/only-get").body()).as("the route itself still answers").isEqualTo("ok");
  }

  @Test
  void aFailureAfterTheResponseStartedResetsTheConnectionRatherThanEndingATruncatedBody() {
    assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(uri("/mid-body")).timeout(Duration.ofSeconds(30))
        .build(), HttpResponse.BodyHandlers.ofByteArray()))
        .as("a clean end would pass the first bytes off as the whole image")
        .isInstanceOf(IOException.class);
  }

  @Test
  void aRefusalBeforeTheBodyWasReadIsAnsweredAndClosesTheConnection() throws Exception {
    long size = 8L * 1024 * 1024;
    HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/unread-body"))
        .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> zeros(size)),
            size))
        .build());

    assertError(response, 413, "PAYLOAD_TOO_LARGE");
    assertThat(response.headers().firstValue("Connection")).hasValue("close");
  }

  private static void assertError(HttpResponse<String> response, int status, String code) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonObject body = json(response);
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("error", "message");
    assertThat(body.getString("error")).isEqualTo(code);
    assertThat(body.getString("message")).isNotBlank().doesNotContain("Exception", INTERNALS);
  }

  private static JsonObject json(HttpResponse<String> response) {
    return new JsonObject(response.body());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET().build());
  }

  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(HttpRequest.newBuilder(request, (name, value) -> true).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.actualPort() + path);
  }

  private static InputStream zeros(long size) {
    return new InputStream() {
      private long left = size;

      @Override
      public int read() {
        return left-- > 0 ? 0 : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, (byte) 0);
        left -= n;
        return n;
      }
    };
  }
}
