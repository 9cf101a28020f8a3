package dev.imagery.api.http;

import dev.imagery.api.upload.PayloadTooLargeException;
import dev.imagery.shared.image.ImageNotFoundException;
import dev.imagery.shared.image.TransitionConflictException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.openapi.validation.ValidatorException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The one place that turns a failure into an HTTP answer: a status, and a JSON body
 * {@code {"error": CODE, "message": ...}}. Backend trouble is a 503 with Retry-After, never a stack trace.
 */
public final class ErrorResponses {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);

  /** Seconds a client should wait before retrying a request that met a backend outage. */
  static final int RETRY_AFTER_SECONDS = 5;

  /** How long a refused upload may keep sending before its connection is closed. */
  static final long DRAIN_TIMEOUT_MS = 10_000;

  private ErrorResponses() {
  }

  record ApiError(int status, String code, String message) {
  }

  /** The failure handler of every route. */
  public static void handle(RoutingContext ctx) {
    handle(ctx, ctx.failure());
  }

  /** Answers {@code ctx} for {@code failure}, which a route's own failure handler may have refined. */
  public static void handle(RoutingContext ctx, Throwable failure) {
    HttpServerResponse response = ctx.response();
    ApiError error = classify(failure, ctx.statusCode());
    String where = ctx.request().method() + " " + ctx.request().path();
    if (error.status() >= 500 && !(failure instanceof ApiException)) {
      LOG.error("{} failed with {} {}", where, error.status(), error.code(), failure);
    } else {
      LOG.info("{} refused with {} {}: {}", where, error.status(), error.code(), error.message());
    }
    if (response.headWritten()) {
      // Mid-body: a clean end would pass a truncated body off as whole.
      response.reset();
      return;
    }
    if (!ctx.request().isEnded()) {
      // The body is being discarded: this connection ends with this request.
      response.putHeader(HttpHeaders.CONNECTION, "close");
      ctx.request().resume();
      long timer = ctx.vertx().setTimer(DRAIN_TIMEOUT_MS, t -> {
        if (!ctx.request().isEnded()) {
          ctx.request().connection().close();
        }
      });
      ctx.request().endHandler(v -> ctx.vertx().cancelTimer(timer));
    }
    if (error.status() == 503) {
      response.putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
    }
    response.setStatusCode(error.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(new JsonObject().put("error", error.code()).put("message", error.message()).encode());
  }

  static ApiError classify(Throwable failure, int statusCode) {
    if (failure == null) {
      return byStatus(statusCode < 400 ? 500 : statusCode);
    }
    if (failure instanceof ApiException e) {
      return new ApiError(e.status(), e.code(), e.getMessage());
    }
    ValidatorException violation = contractViolation(failure);
    if (violation != null) {
      // Routes map their own parameters' codes first (ContractViolations); this is the catch-all.
      return new ApiError(400, "INVALID_REQUEST", violation.getMessage());
    }
    if (failure instanceof HttpException e) {
      return byStatus(e.getStatusCode());
    }
    if (failure instanceof ImageNotFoundException e) {
      return new ApiError(404, "NOT_FOUND", e.getMessage());
    }
    if (failure instanceof NoSuchKeyException) {
      return new ApiError(404, "NOT_FOUND", "the stored object is gone");
    }
    if (failure instanceof TransitionConflictException e) {
      return new ApiError(409, "CONFLICT", e.getMessage());
    }
    if (failure instanceof PayloadTooLargeException e) {
      return new ApiError(413, "PAYLOAD_TOO_LARGE", e.getMessage());
    }
    if (failure instanceof SdkClientException || failure instanceof TimeoutException
        || failure instanceof SdkServiceException s && (s.statusCode() >= 500 || s.isThrottlingException())) {
      return new ApiError(503, "UNAVAILABLE", "a storage backend is not answering; retry later");
    }
    return new ApiError(500, "INTERNAL", "unexpected error");
  }

  /**
   * The OpenAPI validator's refusal inside {@code failure}, or null: the router built from the contract fails a
   * request that breaks it with a 400 HttpException caused by a ValidatorException.
   */
  public static ValidatorException contractViolation(Throwable failure) {
    if (failure instanceof ValidatorException v) {
      return v;
    }
    return failure instanceof HttpException e && e.getCause() instanceof ValidatorException v ? v : null;
  }

  static ApiError byStatus(int status) {
    return switch (status) {
      case 400 -> new ApiError(400, "BAD_REQUEST", "malformed request");
      case 404 -> new ApiError(404, "NOT_FOUND", "no such resource");
      case 405 -> new ApiError(405, "METHOD_NOT_ALLOWED", "method not allowed on this resource");
      case 413 -> new ApiError(413, "PAYLOAD_TOO_LARGE", "request body too large");
      case 415 -> new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "unsupported media type");
      case 503 -> new ApiError(503, "UNAVAILABLE", "service unavailable; retry later");
      default -> new ApiError(status, "ERROR_" + status, "request failed");
    };
  }
}
