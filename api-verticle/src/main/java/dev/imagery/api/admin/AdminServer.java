package dev.imagery.api.admin;

import dev.imagery.api.http.AccessLog;
import dev.imagery.api.http.ApiException;
import dev.imagery.api.http.ErrorResponses;
import dev.imagery.api.http.SecurityHeaders;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's management port, which no load balancer, ingress or published service forwards to: {@code GET /metrics}
 * for Prometheus, always, without a token (it holds counts and timings, no ids), and the operators' routes (dead
 * letters) when an admin token is set. The public port never serves {@code /admin} or {@code /metrics}, whatever the
 * path's spelling ({@code /image/../admin} is normalised by the router), so what keeps them private is where they
 * listen, not a path rule in front; for {@code /admin} the bearer token is the second lock.
 */
public final class AdminServer {

  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final Handler<HttpServerRequest> metrics;
  private final Optional<Admin> admin;
  private HttpServer server;

  /** The operators' routes: their bearer token and what they act on. */
  public record Admin(String token, DeadLetters deadLetters) {
  }

  /** {@code admin} empty: {@code /metrics} only, and {@code /admin/*} is 404. */
  public AdminServer(Vertx vertx, String host, int port, Handler<HttpServerRequest> metrics, Optional<Admin> admin) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.metrics = metrics;
    this.admin = admin;
  }

  public Future<HttpServer> start() {
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(router())
        .listen()
        .onSuccess(listening -> {
          server = listening;
          LOG.info("management port http://{}:{}: /metrics{}", host, listening.actualPort(),
              admin.isPresent() ? ", admin routes on /admin/" : "; no admin routes (IMAGERY_ADMIN_TOKEN unset)");
        });
  }

  public int actualPort() {
    return server.actualPort();
  }

  public Future<Void> stop(long graceMs) {
    return server == null ? Future.succeededFuture() : server.shutdown(graceMs, TimeUnit.MILLISECONDS);
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.route().handler(new AccessLog(router)); // first: the request's trace, and its access log line
    router.route().handler(SecurityHeaders.noSniff());
    router.get("/metrics").handler(ctx -> metrics.handle(ctx.request()));
    if (admin.isPresent()) {
      router.route("/admin/*").handler(this::requireBearer);
      router.get("/admin/dead-letters").handler(this::listDeadLetters);
      router.post("/admin/dead-letters/redrive").handler(this::redriveDeadLetters);
      router.delete("/admin/dead-letters").handler(this::purgeDeadLetters);
    }
    router.route().failureHandler(ErrorResponses::handle);
    router.errorHandler(404, ErrorResponses::handle);
    router.errorHandler(405, ErrorResponses::handle);
    return router;
  }

  private void requireBearer(RoutingContext ctx) {
    String given = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    byte[] expected = ("Bearer " + admin.orElseThrow().token()).getBytes(StandardCharsets.UTF_8);
    if (given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      throw new ApiException(401, "UNAUTHORIZED", "admin routes need Authorization: Bearer <IMAGERY_ADMIN_TOKEN>");
    }
    ctx.next();
  }

  private void listDeadLetters(RoutingContext ctx) {
    admin.orElseThrow().deadLetters().list(limit(ctx))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private void redriveDeadLetters(RoutingContext ctx) {
    admin.orElseThrow().deadLetters().redrive(limit(ctx))
        .onSuccess(moved -> ctx.json(new JsonObject().put("redriven", moved)))
        .onFailure(ctx::fail);
  }

  private void purgeDeadLetters(RoutingContext ctx) {
    admin.orElseThrow().deadLetters().purge()
        .onSuccess(purged -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private static int limit(RoutingContext ctx) {
    String raw = ctx.queryParams().get("limit");
    try {
      int limit = raw == null ? 100 : Integer.parseInt(raw);
      if (limit >= 1 && limit <= 1000) {
        return limit;
      }
    } catch (NumberFormatException e) {
      // Answered below.
    }
    throw new ApiException(400, "INVALID_LIMIT", "limit must be a whole number from 1 to 1000, got '" + raw + "'");
  }
}
