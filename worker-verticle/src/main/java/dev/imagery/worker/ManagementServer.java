package dev.imagery.worker;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's management port: {@code GET /health/live}, for container health checks and liveness probes (200
 * while the poll loop turns, 503 once it has stalled), and {@code GET /metrics} for Prometheus. Plain vertx-core (two
 * routes need no router).
 */
final class ManagementServer {

  private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);

  /** What the liveness answer says: the status decides the code, the rest is for the operator. */
  record Liveness(boolean live, JsonObject details) {
  }

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final Supplier<Liveness> liveness;
  private final Handler<HttpServerRequest> metrics;
  private HttpServer server;

  ManagementServer(Vertx vertx, String host, int port, Supplier<Liveness> liveness,
                   Handler<HttpServerRequest> metrics) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.liveness = liveness;
    this.metrics = metrics;
  }

  Future<HttpServer> start() {
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(this::handle)
        .listen()
        .onSuccess(listening -> {
          server = listening;
          LOG.info("worker liveness on http://{}:{}/health/live, metrics on /metrics", host, listening.actualPort());
        });
  }

  int actualPort() {
    return server.actualPort();
  }

  Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void handle(HttpServerRequest request) {
    boolean live = "/health/live".equals(request.path());
    if (!live && !"/metrics".equals(request.path())) {
      send(request, 404, error("NOT_FOUND", "the worker serves GET /health/live and GET /metrics only"));
    } else if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
      send(request, 405, error("METHOD_NOT_ALLOWED", "use GET " + request.path()));
    } else if (!live) {
      metrics.handle(request);
    } else {
      Liveness now = liveness.get();
      if (!now.live()) {
        LOG.warn("liveness check failed: {}", now.details().encode());
      }
      send(request, now.live() ? 200 : 503, now.details());
    }
  }

  private static JsonObject error(String code, String message) {
    return new JsonObject().put("error", code).put("message", message);
  }

  private static void send(HttpServerRequest request, int status, JsonObject body) {
    request.response()
        .setStatusCode(status)
        .putHeader("content-type", "application/json")
        .putHeader("cache-control", "no-store")
        .end(body.encode());
  }
}
