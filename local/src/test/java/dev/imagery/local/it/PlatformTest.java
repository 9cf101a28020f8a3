package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.shared.aws.SdkFutures;
import io.netty.util.Version;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/** The Vert.x 5 / AWS SDK v2 pairing: SDK outcomes come back on the caller's context, on one Netty. */
class PlatformTest {

  private final TestStack stack = TestStack.get();

  record Observed(Context context, String thread, Object outcome) {
  }

  @Test
  void sdkResultsComeBackOnTheCallersContextNotOnSdkThreads() throws Exception {
    Vertx vertx = stack.imagery.vertx();
    Context context = vertx.getOrCreateContext();
    String table = stack.imagery.config().resources().table();
    CompletableFuture<String> rawThread = new CompletableFuture<>();

    Observed observed = Future.<Observed>future(done -> context.runOnContext(v -> {
      CompletableFuture<DescribeTableResponse> call = stack.imagery.aws().dynamoDb()
          .describeTable(DescribeTableRequest.builder().tableName(table).build());
      call.whenComplete((r, e) -> rawThread.complete(Thread.currentThread().getName()));
      SdkFutures.call(vertx, () -> call).onComplete(result -> done.complete(new Observed(Vertx.currentContext(),
          Thread.currentThread().getName(), result.succeeded() ? result.result().table().tableName() : result.cause())));
    })).await(30, TimeUnit.SECONDS);

    assertThat(observed.outcome()).isEqualTo(table);
    assertThat(observed.context()).isSameAs(context);
    assertThat(observed.thread()).startsWith("vert.x-eventloop-thread");
    assertThat(rawThread.get(30, TimeUnit.SECONDS)).as("without the bridge, callbacks run here")
        .startsWith("sdk-async-response");
  }

  @Test
  void sdkFailuresComeBackUnwrappedOnTheCallersContext() throws Exception {
    Vertx vertx = stack.imagery.vertx();
    Context context = vertx.getOrCreateContext();

    Observed observed = Future.<Observed>future(done -> context.runOnContext(v ->
        SdkFutures.call(vertx, () -> stack.imagery.aws().dynamoDb()
                .describeTable(DescribeTableRequest.builder().tableName("no-such-table").build()))
            .onComplete(result -> done.complete(new Observed(Vertx.currentContext(), Thread.currentThread().getName(),
                result.cause()))))).await(30, TimeUnit.SECONDS);

    assertThat(observed.outcome()).isInstanceOf(ResourceNotFoundException.class);
    assertThat(observed.context()).isSameAs(context);
  }

  @Test
  void theSdkRunsOnTheNettyVertxIsBuiltOn() {
    // One Netty on the classpath, aligned by the BOM: 4.2 for Vert.x 5, under the SDK's netty-nio-client too.
    assertThat(Version.identify().get("netty-transport").artifactVersion()).startsWith("4.2.");
    assertThat(Version.identify().get("netty-codec-http").artifactVersion())
        .isEqualTo(Version.identify().get("netty-transport").artifactVersion());
    // Every test of this suite that reaches an emulator goes through that client; this one just needs one call.
    JsonObject ready = stack.api.get("/health/ready").json();
    assertThat(ready.getString("status")).isEqualTo("UP");
  }

  @Test
  void healthEndpointsReportLivenessAndEachBackend() {
    ApiClient.Response live = stack.api.get("/health/live");
    ApiClient.Response ready = stack.api.get("/health/ready");

    assertThat(live.status()).isEqualTo(200);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().getJsonObject("checks"))
        .isEqualTo(new JsonObject().put("dynamodb", "UP").put("sqs", "UP").put("s3", "UP"));
  }

  @Test
  void theWebPageIsServedAtTheRoot() {
    ApiClient.Response page = stack.api.get("/");

    assertThat(page.status()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).contains("text/html"));
    assertThat(page.body()).contains("Imagery").contains("id=\"file\"").contains("id=\"upload\"");
  }
}
