package dev.imagery.api.auth;

import dev.imagery.api.http.ApiException;

/** A 401: no credential, or one that does not check out. The message says which, never more than that. */
final class Unauthorized {

  private Unauthorized() {
  }

  static ApiException missing(String what) {
    return new ApiException(401, "UNAUTHORIZED", "this route needs Authorization: Bearer <" + what + ">");
  }

  static ApiException invalid(String why) {
    return new ApiException(401, "UNAUTHORIZED", why);
  }
}
