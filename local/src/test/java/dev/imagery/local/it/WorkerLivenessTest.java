package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The worker's management port, which container health checks and liveness probes ask. */
class WorkerLivenessTest {

  private final TestStack stack = TestStack.get();
  private final ApiClient worker = new ApiClient("http://127.0.0.1:" + stack.imagery.workerManagementPort());

  @Test
  void aPollingWorkerIsLive() {
    ApiClient.Response live = worker.get("/health/live");
    assertThat(live.status()).as(live.toString()).isEqualTo(200);
    JsonObject body = live.json();
    assertThat(body.getString("status")).isEqualTo("UP");
    assertThat(body.getInteger("slots")).as("jobs in flight: 4 x the pool by default").isEqualTo(8);
    assertThat(body.getInteger("poolThreads")).isEqualTo(2);
    assertThat(body.getLong("msSincePollLoopActivity")).isLessThan(body.getLong("stallAfterMs"));
    assertThat(live.headers().firstValue("content-type")).hasValue("application/json");
  }

  @Test
  void theWorkerServesNothingElse() {
    ApiClient.Response other = worker.get("/image");
    assertThat(other.status()).isEqualTo(404);
    assertThat(other.json().getString("error")).isEqualTo("NOT_FOUND");
    ApiClient.Response post = worker.send("POST", "/health/live");
    assertThat(post.status()).isEqualTo(405);
    assertThat(post.json().getString("error")).isEqualTo("METHOD_NOT_ALLOWED");
  }
}
