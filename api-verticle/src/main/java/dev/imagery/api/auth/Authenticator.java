package dev.imagery.api.auth;

import io.vertx.core.Future;

/** Turns a request's bearer credential into its caller's id, or fails with {@link Unauthorized}. */
interface Authenticator {

  /** @param bearer what followed {@code Authorization: Bearer }, never null or blank */
  Future<String> callerId(String bearer);
}
