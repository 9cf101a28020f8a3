package dev.imagery.api.auth;

import dev.imagery.api.http.ApiException;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.config.ImageryConfig.AuthMode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.UserContextInternal;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one handler in front of every image route ({@code /image} and everything under it, any method, routes added
 * later included): it establishes the {@link Caller} (401 without a valid credential), then applies the per-caller
 * limits (429 with Retry-After). Health routes and the web page are not behind it.
 *
 * <p>Which image a caller may use is not decided here but by {@code ImageAccess}, where the record is read.
 *
 * <p>A request whose authentication has to wait (a JWKS fetch after an issuer's key rotation) is paused meanwhile so
 * that none of its body is lost; every route that reads a body resumes the request itself, after its own checks.
 */
public final class CallerGate implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(CallerGate.class);
  private static final String REALM = "Bearer realm=\"imagery\"";

  private final AuthMode mode;
  private final Optional<Authenticator> authenticator;
  private final CallerLimits limits;

  private CallerGate(AuthMode mode, Optional<Authenticator> authenticator, CallerLimits limits) {
    this.mode = mode;
    this.authenticator = authenticator;
    this.limits = limits;
  }

  /** The gate for {@code config}; in JWT mode once the issuer's keys are fetched. */
  public static Future<CallerGate> start(Vertx vertx, ImageryConfig.Api config) {
    CallerLimits limits = new CallerLimits(config.callerLimits());
    vertx.setPeriodic(CallerLimits.SWEEP_INTERVAL_MS, t -> limits.sweep());
    ImageryConfig.Auth auth = config.auth();
    logLimits(config.callerLimits(), auth.mode());
    return switch (auth.mode()) {
      case NONE -> {
        LOG.warn("IMAGERY_AUTH_MODE=none: AUTHENTICATION IS OFF. Anyone who can reach this API can create, read,"
            + " replace and upload every image, originals included. Fine on a laptop; anywhere else set"
            + " IMAGERY_AUTH_MODE=api-key or jwt (README, \"Callers and ownership\")");
        yield Future.succeededFuture(new CallerGate(auth.mode(), Optional.empty(), limits));
      }
      case API_KEY -> {
        LOG.info("API-key callers: {} keys for {}", auth.apiKeys().size(),
            auth.apiKeys().stream().map(ImageryConfig.ApiKey::caller).distinct().sorted().toList());
        yield Future.succeededFuture(new CallerGate(auth.mode(),
            Optional.of(new ApiKeyAuthenticator(auth.apiKeys())), limits));
      }
      case JWT -> JwtAuthenticator.start(vertx, auth.jwt().orElseThrow())
          .map(jwt -> new CallerGate(auth.mode(), Optional.of(jwt), limits));
    };
  }

  /** Puts the gate in front of {@code /image} and every path under it, for every method. */
  public void mount(Router router) {
    // "/image/*" matches "/image" as well (Vert.x treats a final "/*" as optional).
    router.route("/image/*").handler(this);
  }

  /**
   * As a handler of every request (the OpenAPI router's root handler), it lets through what is not an image route
   * at once: the path as the router matches it (normalised: {@code /x/../image/1} is an image route).
   */
  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (!(path.equals("/image") || path.startsWith("/image/"))) {
      ctx.next();
      return;
    }
    Future<Caller> caller = caller(ctx);
    if (!caller.isComplete()) {
      ctx.request().pause();
    }
    caller.onSuccess(found -> admit(ctx, found)).onFailure(ctx::fail);
  }

  private Future<Caller> caller(RoutingContext ctx) {
    if (authenticator.isEmpty()) {
      return Future.succeededFuture(Caller.anonymous(ctx.request().remoteAddress().hostAddress()));
    }
    String what = mode == AuthMode.JWT ? "JWT" : "API key";
    if (ctx.request().headers().getAll(HttpHeaders.AUTHORIZATION).size() > 1) {
      // Which one would count depends on who reads it (a proxy, us): refuse rather than guess.
      ctx.response().putHeader("WWW-Authenticate", REALM + ", error=\"invalid_request\"");
      return Future.failedFuture(Unauthorized.invalid("send one Authorization header, not several"));
    }
    Optional<String> bearer = bearer(ctx.request());
    if (bearer.isEmpty()) {
      ctx.response().putHeader("WWW-Authenticate", REALM);
      return Future.failedFuture(Unauthorized.missing(what));
    }
    return authenticator.get().callerId(bearer.get())
        .map(Caller::authenticated)
        .onFailure(err -> ctx.response().putHeader("WWW-Authenticate", REALM + ", error=\"invalid_token\""));
  }

  private void admit(RoutingContext ctx, Caller caller) {
    caller.attachTo(ctx);
    if (authenticator.isPresent()) {
      // As Vert.x's own auth handlers do, so that what reads ctx.user() (the access log) names the caller.
      ((UserContextInternal) ctx.userContext()).setUser(User.fromName(caller.id()));
    }
    Optional<CallerLimits.Refused> refused = limits.admitRequest(caller.limitKey());
    if (refused.isPresent()) {
      tooMany(ctx, caller, refused.get().retryAfterSeconds(), "more than the requests per second allowed");
      return;
    }
    if (hasBody(ctx.request())) {
      Optional<Runnable> upload = limits.startUpload(caller.limitKey());
      if (upload.isEmpty()) {
        tooMany(ctx, caller, 1, "more uploads at once than allowed");
        return;
      }
      ctx.addEndHandler(ended -> upload.get().run());
    }
    ctx.next();
  }

  private static void tooMany(RoutingContext ctx, Caller caller, long retryAfterSeconds, String what) {
    LOG.info("caller={} {} {}: {}, answered 429", caller.limitKey(), ctx.request().method(), ctx.request().path(),
        what);
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds));
    ctx.fail(new ApiException(429, "TOO_MANY_REQUESTS", "this caller sent " + what + "; retry after "
        + retryAfterSeconds + " s"));
  }

  /**
   * An upload, whatever the route: a request that sends a body. HTTP/1.1 says so in its head (Transfer-Encoding, or
   * a Content-Length above 0); HTTP/2 (h2c is on) frames the body itself, so there a POST, PUT or PATCH without
   * {@code Content-Length: 0} counts, ended or not: a body-less create then holds a slot for the moment it takes.
   */
  static boolean hasBody(HttpServerRequest request) {
    if (request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
      return true;
    }
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      return !length.trim().equals("0");
    }
    HttpMethod method = request.method();
    return request.version() == HttpVersion.HTTP_2
        && (method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH);
  }

  private static Optional<String> bearer(HttpServerRequest request) {
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  private static void logLimits(ImageryConfig.CallerLimits limits, AuthMode mode) {
    LOG.info("per-caller limits (each API instance on its own): {} requests/s (burst {}), {} uploads at once;"
            + " a caller is {}",
        limits.rateLimited() ? limits.requestsPerSecond() : "no limit of", limits.burst(),
        limits.uploadsLimited() ? limits.maxConcurrentUploads() : "no limit of",
        mode == AuthMode.NONE ? "a client address (authentication is off)" : "an authenticated identity");
  }
}
