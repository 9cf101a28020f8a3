package dev.imagery.shared.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The registry's own rules: its buckets, its label bounds, and Vert.x reporting into it, one registry per instance. */
class ServiceMetricsTest {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void imageryTimersHaveTheFixedSecondsBuckets() {
    ServiceMetrics metrics = ServiceMetrics.create();
    Timer.builder("imagery.test.duration").register(metrics.registry()).record(Duration.ofMillis(30));

    String text = metrics.scrape();

    assertThat(text).contains("imagery_test_duration_seconds_bucket{le=\"0.001\"} 0")
        .contains("imagery_test_duration_seconds_bucket{le=\"0.05\"} 1")
        .contains("imagery_test_duration_seconds_bucket{le=\"3600.0\"} 1")
        .contains("imagery_test_duration_seconds_count 1");
    assertThat(text.lines().filter(line -> line.startsWith("imagery_test_duration_seconds_bucket")))
        .as("19 buckets and +Inf").hasSize(20);
  }

  @Test
  void aMethodOutsideTheStandardOnesIsCountedAsOther() {
    ServiceMetrics metrics = ServiceMetrics.create();
    Counter.builder("imagery.test.requests").tag("method", "BREW").register(metrics.registry()).increment();
    Counter.builder("imagery.test.requests").tag("method", "GET").register(metrics.registry()).increment();

    assertThat(metrics.scrape()).contains("imagery_test_requests_total{method=\"OTHER\"} 1.0")
        .contains("imagery_test_requests_total{method=\"GET\"} 1.0")
        .doesNotContain("BREW");
  }

  /**
   * Two instances in one JVM (the tests', the local stack's) each report into their own registry: Vert.x keeps its
   * backends by registry name, statically. The route label is the template a router reports, never the path.
   */
  @Test
  void eachVertxReportsItsHttpRequestsByRouteIntoItsOwnRegistry() throws Exception {
    ServiceMetrics first = ServiceMetrics.create();
    ServiceMetrics second = ServiceMetrics.create();
    Vertx one = first.vertx();
    Vertx two = second.vertx();
    try {
      int port = listen(one);
      listen(two);
      for (String id : new String[] {"a1", "b2", "c3"}) {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/image/" + id)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
      }

      assertThat(first.scrape()).contains("route=\"/image/:id\"").doesNotContain("a1").doesNotContain("/image/b2")
          .containsPattern("vertx_http_server_requests_total\\{code=\"200\",local=\"[^\"]+\",method=\"GET\","
              + "route=\"/image/:id\"} 3.0")
          .containsPattern("vertx_http_server_response_time_seconds_bucket\\{code=\"200\",.*le=\"0.001\"}")
          .contains("jvm_memory_used_bytes");
      assertThat(second.scrape()).doesNotContain("vertx_http_server_requests_total{");
    } finally {
      one.close().await(10, TimeUnit.SECONDS);
      two.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** A server that names its one route as vertx-web's router does, by template. */
  private static int listen(Vertx vertx) throws Exception {
    HttpServer server = vertx.createHttpServer()
        .requestHandler(request -> {
          request.routed("/image/:id");
          request.response().end("ok");
        })
        .listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
    return server.actualPort();
  }
}
