package dev.imagery.api.auth;

import dev.imagery.shared.image.ImageRecord;
import io.vertx.ext.web.RoutingContext;

/**
 * Who sent a request, as {@link CallerGate} established it: {@code id} is what owns the images the caller creates
 * ({@code key:NAME} for an API key, {@code jwt:SUB} for a token, {@link ImageRecord#ANONYMOUS} without
 * authentication), {@code limitKey} what the per-caller limits count under (the id; without authentication, the
 * client's address).
 */
public record Caller(String id, String limitKey) {

  private static final String CONTEXT_KEY = "imagery.caller";

  public static Caller authenticated(String id) {
    return new Caller(id, id);
  }

  public static Caller anonymous(String address) {
    return new Caller(ImageRecord.ANONYMOUS, "address:" + address);
  }

  void attachTo(RoutingContext ctx) {
    ctx.put(CONTEXT_KEY, this);
  }

  /**
   * The caller of a request that passed the gate. A route reached without it is a wiring mistake, answered 500 rather
   * than served as someone: never fail open.
   */
  public static Caller of(RoutingContext ctx) {
    Caller caller = ctx.get(CONTEXT_KEY);
    if (caller == null) {
      throw new IllegalStateException(ctx.request().method() + " " + ctx.request().path()
          + " reached an image route without passing CallerGate");
    }
    return caller;
  }
}
