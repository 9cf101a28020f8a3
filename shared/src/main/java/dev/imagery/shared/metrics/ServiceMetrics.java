package dev.imagery.shared.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusRequestHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.EnumSet;
import java.util.UUID;

/**
 * The metrics of one process, in one Prometheus registry: Vert.x's own (HTTP servers with the route template as a
 * label, worker pools), the JVM's, the AWS SDK's calls ({@link AwsCallMetrics}) and each service's. Scraped at
 * {@code GET /metrics} on the management port.
 *
 * <p>Labels stay bounded: the route label is the router's template ({@code /image/:id/upload}), never the path, and
 * no metric has an image or message id in a label ({@link BoundedLabels}).
 */
public final class ServiceMetrics {

  private final PrometheusMeterRegistry registry;
  /**
   * Vert.x keeps its backends in a static map by this name: each registry needs a name of its own, or the second
   * Vert.x instance of a JVM (tests, the local stack after a restart) would report into the first one's registry.
   */
  private final String name = "imagery-" + UUID.randomUUID();

  private ServiceMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  /** A fresh registry, with the histogram buckets and label bounds of every Imagery process. */
  public static ServiceMetrics create() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config()
        .meterFilter(BoundedLabels.httpMethods())
        .meterFilter(new HistogramBuckets());
    return new ServiceMetrics(registry);
  }

  /** Where services record their own metrics. */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * A Vert.x instance that reports into this registry: HTTP server requests by method, status code and route
   * template, the named worker pools, and the JVM (memory, GC, threads, CPU, class loading).
   */
  public Vertx vertx() {
    MicrometerMetricsOptions options = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName(name)
        .setJvmMetricsEnabled(true)
        // The socket's local address tells the public port from the management port; the remote one would be
        // a label per client.
        .setLabels(EnumSet.of(Label.LOCAL, Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_TYPE,
            Label.POOL_NAME))
        // Neither service uses the event bus, datagrams or Vert.x's HTTP client (the SDK has its own).
        .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
        .addDisabledMetricsCategory(MetricsDomain.DATAGRAM_SOCKET)
        .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
        .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
        // Scraped through our own management servers, not an embedded one.
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true).setStartEmbeddedServer(false));
    return Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(options))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
  }

  /** Answers {@code GET /metrics} with the Prometheus text format (version 0.0.4); 404 for any other path. */
  public Handler<HttpServerRequest> scrapeHandler() {
    return PrometheusRequestHandler.create(registry, "/metrics");
  }

  /** The registry in the Prometheus text format, as {@code /metrics} answers it. */
  public String scrape() {
    return registry.scrape();
  }
}
