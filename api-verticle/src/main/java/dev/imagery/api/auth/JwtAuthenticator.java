package dev.imagery.api.auth;

import dev.imagery.shared.config.ImageryConfig.Jwt;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code IMAGERY_AUTH_MODE=jwt}: a bearer JWT, its signature checked by vertx-auth-jwt against the public keys of a
 * JWKS, its issuer, audience and times checked, its {@code sub} the caller. Works with any OIDC issuer (Cognito,
 * Auth0, Keycloak, Entra ID...).
 *
 * <p>vertx-auth-jwt takes a fixed list of keys, so this class fetches the JWKS itself: at start (the API does not
 * start without one usable key), every {@code IMAGERY_JWT_JWKS_REFRESH_SECONDS}, and when a token names a key id it
 * does not hold (an issuer's key rotation), at most once per {@link #MIN_REFETCH_NANOS} so that tokens with made-up
 * key ids cannot make it hammer the issuer. A fetch that fails, or brings no usable key, keeps the keys it had.
 *
 * <p>What it refuses before the library sees the token, because the library would not: a token that is not three
 * segments or whose {@code alg} is not an asymmetric signature (no {@code none}, no HMAC: a public key is no shared
 * secret); a key set with no usable key (vertx-auth-jwt with no keys at all accepts unsigned tokens); symmetric
 * ({@code oct}) keys in the set; a token without {@code exp} or {@code sub}.
 */
final class JwtAuthenticator implements Authenticator {

  private static final Logger LOG = LoggerFactory.getLogger(JwtAuthenticator.class);

  static final long MIN_REFETCH_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final Set<String> SIGNATURE_ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
      "ES256", "ES384", "ES512", "EdDSA");
  private static final Set<String> PUBLIC_KEY_TYPES = Set.of("RSA", "EC", "OKP");

  /** The keys of one fetch of the JWKS: the provider that verifies with them, and their ids. */
  private record KeySet(JWTAuth provider, Set<String> keyIds) {
  }

  private final Vertx vertx;
  private final Jwt settings;
  private final long minRefetchNanos;
  private final HttpClient http;
  private volatile KeySet keys;
  private long lastFetchNanos;
  private Future<Void> fetching;

  private JwtAuthenticator(Vertx vertx, Jwt settings, long minRefetchNanos) {
    this.vertx = vertx;
    this.settings = settings;
    this.minRefetchNanos = minRefetchNanos;
    this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000));
  }

  /** Fetches the JWKS, then refreshes it on a timer; fails when the first fetch brings no usable key. */
  static Future<JwtAuthenticator> start(Vertx vertx, Jwt settings) {
    return start(vertx, settings, MIN_REFETCH_NANOS);
  }

  /** Call on the event loop that will use it (the API verticle's): its fetch state is not shared between threads. */
  static Future<JwtAuthenticator> start(Vertx vertx, Jwt settings, long minRefetchNanos) {
    JwtAuthenticator authenticator = new JwtAuthenticator(vertx, settings, minRefetchNanos);
    return authenticator.fetch()
        .recover(err -> Future.failedFuture(new IllegalStateException("IMAGERY_JWT_JWKS_URL " + settings.jwksUrl()
            + ": no usable signing key: " + err.getMessage(), err)))
        .map(fetched -> {
          vertx.setPeriodic(settings.jwksRefresh().toMillis(), t -> authenticator.refetch("refresh"));
          LOG.info("JWT callers: issuer {}, audience {}, {} signing keys from {}, refreshed every {} s",
              settings.issuer(), settings.audiences(), authenticator.keys.keyIds().size(), settings.jwksUrl(),
              settings.jwksRefresh().toSeconds());
          return authenticator;
        });
  }

  @Override
  public Future<String> callerId(String token) {
    JsonObject header;
    try {
      header = header(token);
    } catch (RuntimeException e) {
      return Future.failedFuture(Unauthorized.invalid("the bearer token is not a JWT"));
    }
    String alg = header.getValue("alg") instanceof String value ? value : "";
    if (!SIGNATURE_ALGORITHMS.contains(alg)) {
      return Future.failedFuture(Unauthorized.invalid("the token's algorithm '" + alg + "' is not accepted"));
    }
    Object kid = header.getValue("kid");
    if (kid instanceof String id && !keys.keyIds().contains(id)) {
      // Perhaps the issuer rotated its keys: look again, then decide.
      return refetch("unknown key id").transform(done -> verify(token));
    }
    return verify(token);
  }

  private Future<String> verify(String token) {
    return keys.provider().authenticate(new TokenCredentials(token))
        .recover(err -> Future.failedFuture(Unauthorized.invalid("the token is not valid: " + reason(err))))
        .compose(this::callerOf);
  }

  private Future<String> callerOf(User user) {
    JsonObject claims = user.attributes().getJsonObject("accessToken", new JsonObject());
    if (!(claims.getValue("exp") instanceof Number)) {
      return Future.failedFuture(Unauthorized.invalid("the token has no expiry (exp)"));
    }
    if (!(claims.getValue("sub") instanceof String sub) || sub.isBlank()) {
      return Future.failedFuture(Unauthorized.invalid("the token names no subject (sub)"));
    }
    if (!forUs(claims)) {
      return Future.failedFuture(Unauthorized.invalid("the token is not for this audience"));
    }
    return Future.succeededFuture("jwt:" + sub);
  }

  /**
   * {@code aud} (a string or a list) names one of ours; a token without {@code aud} passes on {@code client_id}
   * instead, which is how Cognito access tokens name their app client.
   */
  private boolean forUs(JsonObject claims) {
    Object aud = claims.getValue("aud");
    if (aud == null) {
      return claims.getValue("client_id") instanceof String client && settings.audiences().contains(client);
    }
    List<Object> named = aud instanceof JsonArray list ? list.getList() : List.of(aud);
    return named.stream().anyMatch(settings.audiences()::contains);
  }

  /** The JWKS again, unless one was fetched moments ago; every caller meanwhile shares one fetch. */
  private Future<Void> refetch(String why) {
    if (fetching != null) {
      return fetching;
    }
    if (System.nanoTime() - lastFetchNanos < minRefetchNanos) {
      return Future.succeededFuture();
    }
    return fetch().recover(err -> {
      LOG.warn("JWKS {} ({}) failed; keeping the {} keys held: {}", settings.jwksUrl(), why, keys.keyIds().size(),
          err.getMessage());
      return Future.succeededFuture();
    });
  }

  private Future<Void> fetch() {
    lastFetchNanos = System.nanoTime();
    fetching = http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(settings.jwksUrl().toString())
            .setTimeout(10_000))
        .compose(request -> request.send())
        .compose(response -> response.statusCode() == 200
            ? response.body()
            : Future.failedFuture("HTTP " + response.statusCode()))
        .map(body -> keySet(body.toJsonObject()))
        .<Void>map(fetched -> {
          keys = fetched;
          LOG.debug("JWKS {}: keys {}", settings.jwksUrl(), fetched.keyIds());
          return null;
        })
        .onComplete(done -> fetching = null);
    return fetching;
  }

  private KeySet keySet(JsonObject jwks) {
    JsonArray all = jwks.getJsonArray("keys", new JsonArray());
    List<JsonObject> usable = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (Object entry : all) {
      if (!(entry instanceof JsonObject key) || !PUBLIC_KEY_TYPES.contains(key.getString("kty"))
          || key.containsKey("d") || !(key.getString("use") == null || "sig".equals(key.getString("use")))) {
        continue;
      }
      try {
        new JWK(key); // what vertx-auth-jwt will make of it; it skips the keys it cannot read
      } catch (RuntimeException e) {
        LOG.warn("JWKS {}: key {} skipped: {}", settings.jwksUrl(), key.getString("kid"), e.getMessage());
        continue;
      }
      usable.add(key);
      if (key.getString("kid") != null) {
        ids.add(key.getString("kid"));
      }
    }
    if (usable.isEmpty()) {
      throw new IllegalStateException("the key set has no public signing key (RSA, EC or OKP, use sig) among its "
          + all.size());
    }
    JWTAuth provider = JWTAuth.create(vertx, new JWTAuthOptions()
        .setJwks(usable)
        .setJWTOptions(new JWTOptions()
            .setIssuer(settings.issuer())
            .setLeeway((int) settings.leeway().toSeconds())));
    return new KeySet(provider, Set.copyOf(ids));
  }

  private static JsonObject header(String token) {
    String[] segments = token.split("\\.", -1);
    if (segments.length != 3 || segments[2].isEmpty()) {
      throw new IllegalArgumentException("not three segments");
    }
    return new JsonObject(new String(Base64.getUrlDecoder().decode(segments[0]), StandardCharsets.UTF_8));
  }

  private static String reason(Throwable err) {
    String message = String.valueOf(err.getMessage());
    if (message.contains("expired")) {
      return "expired, or not yet valid";
    }
    if (message.contains("issuer")) {
      return "wrong issuer";
    }
    return "bad signature, or signed by a key this API does not trust";
  }
}
