package dev.imagery.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imagery.api.http.ApiException;
import dev.imagery.shared.config.ImageryConfig.Jwt;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JWT mode against a real JWKS: a Vert.x HTTP server on 127.0.0.1 serves the public key of an RSA key pair made
 * here, and the tokens are signed with its private key (or are not, or by another key).
 */
class JwtAuthenticatorTest {

  private final TestTokens issuer = new TestTokens("key-1");
  private final AtomicReference<Object> served = new AtomicReference<>(TestTokens.jwks(issuer));
  private final AtomicInteger fetches = new AtomicInteger();
  private Vertx vertx;
  private Context context;
  private HttpServer jwksServer;

  @BeforeEach
  void serveTheJwks() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    jwksServer = vertx.createHttpServer()
        .requestHandler(request -> {
          fetches.incrementAndGet();
          Object body = served.get();
          if (body instanceof Integer status) {
            request.response().setStatusCode(status).end();
          } else {
            request.response().putHeader("Content-Type", "application/json").end(body.toString());
          }
        })
        .listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private Jwt settings() {
    return new Jwt(URI.create("http://127.0.0.1:" + jwksServer.actualPort() + "/.well-known/jwks.json"),
        TestTokens.ISSUER, List.of(TestTokens.AUDIENCE, "other-app"), Duration.ofMinutes(10), Duration.ofSeconds(5));
  }

  private JwtAuthenticator start(long minRefetchNanos) throws Exception {
    return onLoop(() -> JwtAuthenticator.start(vertx, settings(), minRefetchNanos));
  }

  /** Everything the authenticator does runs on one event loop, as in the API verticle. */
  private <T> T onLoop(Supplier<Future<T>> call) throws Exception {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> call.get().onComplete(result));
    return result.future().await(20, TimeUnit.SECONDS);
  }

  private String caller(JwtAuthenticator jwt, String token) throws Exception {
    return onLoop(() -> jwt.callerId(token));
  }

  private void assertRefused(JwtAuthenticator jwt, String token, String because) {
    assertThatThrownBy(() -> caller(jwt, token))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining(because)
        .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(401));
  }

  @Test
  void aGoodTokenNamesItsSubjectAsTheCaller() throws Exception {
    JwtAuthenticator jwt = start(JwtAuthenticator.MIN_REFETCH_NANOS);

    assertThat(caller(jwt, issuer.sign(TestTokens.claims("user-1")))).isEqualTo("jwt:user-1");
    assertThat(caller(jwt, issuer.sign(TestTokens.claims("user-2").put("aud", new io.vertx.core.json.JsonArray()
        .add("someone-else").add("other-app"))))).as("aud as a list, one of them ours").isEqualTo("jwt:user-2");
  }

  @Test
  void anExpiredTokenIsRefusedButClockSkewWithinTheLeewayIsNot() throws Exception {
    JwtAuthenticator jwt = start(JwtAuthenticator.MIN_REFETCH_NANOS);
    long now = Instant.now().getEpochSecond();

    assertRefused(jwt, issuer.sign(TestTokens.claims("u").put("exp", now - 60)), "expired");
    assertRefused(jwt, issuer.sign(TestTokens.claims("u").put("nbf", now + 120)), "not yet valid");
    assertThat(caller(jwt, issuer.sign(TestTokens.claims("u").put("exp", now - 2)))).isEqualTo("jwt:u");
  }

  @Test
  void aTokenOfAnotherIssuerOrForAnotherAudienceIsRefused() throws Exception {
    JwtAuthenticator jwt = start(JwtAuthenticator.MIN_REFETCH_NANOS);

    assertRefused(jwt, issuer.sign(TestTokens.claims("u").put("iss", "https://evil.test/pool")), "wrong issuer");
    assertRefused(jwt, issuer.sign(TestTokens.claims("u").put("aud", "another-api")), "not for this audience");
    assertRefused(jwt, issuer.sign(TestTokens.claims("u").put("aud", new io.vertx.core.json.JsonArray())),
        "not for this audience");
  }

  @Test
  void aCognitoAccessTokenWithoutAudPassesOnItsClientId() throws Exception {
    JwtAuthenticator jwt = start(JwtAuthenticator.MIN_REFETCH_NANOS);
    JsonObject access = TestTokens.claims("cognito-sub");
    access.remove("aud");

    assertThat(caller(jwt, issuer.sign(access.copy().put("client_id", TestTokens.AUDIENCE))))
        .isEqualTo("jwt:cognito-sub");
    assertRefused(jwt, issuer.sign(access.copy().put("client_id", "another-app")), "not for this audience");
    assertRefused(jwt, issuer.sign(access), "not for this audience");
  }

  @Test
  void aBadSignatureIsRefused() throws Exception {
    JwtAuthenticator jwt = start(JwtAuthenticator.MIN_REFETCH_NANOS);
    TestTokens impostor = new TestTokens("key-1"); // same key id, another private key
    String good = issuer.sign(TestTokens.claims("u"));
    String[] parts = good.split("\\.");
    String otherClaims = TestTokens.segment(TestTokens.claims("admin"));

    assertRefused(jwt, impostor.sign(TestTokens.claims("u")), "bad signature");
    assertRefused(jwt, parts[0] + "." + otherClaims + "." + parts[2], "bad signature");
  }

  @Test
  void unsignedAndHmacTokensAreRefused() throws Exception {
    JwtAuthenticator jwt = start(JwtAuthenticator.MIN_REFETCH_NANOS);

    assertRefused(jwt, TestTokens.unsigned(TestTokens.claims("u"), true), "not a JWT");
    assertRefused(jwt, TestTokens.unsigned(TestTokens.claims("u"), false), "not a JWT");
    String none = TestTokens.unsigned(TestTokens.claims("u"), false) + ".c2ln";
    assertRefused(jwt, none, "algorithm 'none' is not accepted");
    assertRefused(jwt, issuer.hmacWithPublicKey(TestTokens.claims("u")), "algorithm 'HS256' is not accepted");
    assertRefused(jwt, "not-a-token", "not a JWT");
    assertRefused(jwt, "a.b.c", "not a JWT");
  }

  @Test
  void aTokenWithoutExpiryOrSubjectIsRefused() throws Exception {
    JwtAuthenticator jwt = start(JwtAuthenticator.MIN_REFETCH_NANOS);
    JsonObject forever = TestTokens.claims("u");
    forever.remove("exp");
    JsonObject nobody = TestTokens.claims("u");
    nobody.remove("sub");

    assertRefused(jwt, issuer.sign(forever), "no expiry");
    assertRefused(jwt, issuer.sign(nobody), "no subject");
    assertRefused(jwt, issuer.sign(TestTokens.claims(" ")), "no subject");
  }

  @Test
  void anIssuersKeyRotationIsPickedUpWhenATokenNamesTheNewKey() throws Exception {
    JwtAuthenticator jwt = start(0);
    TestTokens rotated = new TestTokens("key-2");
    served.set(TestTokens.jwks(rotated));

    assertThat(caller(jwt, rotated.sign(TestTokens.claims("u")))).isEqualTo("jwt:u");
    assertThat(fetches.get()).as("the start, then one fetch for the new key id").isEqualTo(2);
    assertRefused(jwt, issuer.sign(TestTokens.claims("u")), "bad signature");
  }

  @Test
  void madeUpKeyIdsDoNotMakeItFetchTheJwksAgainAndAgain() throws Exception {
    JwtAuthenticator jwt = start(JwtAuthenticator.MIN_REFETCH_NANOS);

    for (int i = 0; i < 20; i++) {
      TestTokens unknown = new TestTokens(UUID.randomUUID().toString());
      assertRefused(jwt, unknown.sign(TestTokens.claims("u")), "not valid");
    }
    assertThat(fetches.get()).as("only the fetch at start, within the minimum interval").isEqualTo(1);
  }

  @Test
  void aFailedOrEmptyRefetchKeepsTheKeysItHad() throws Exception {
    JwtAuthenticator jwt = start(0);
    served.set(503);
    assertRefused(jwt, new TestTokens("key-x").sign(TestTokens.claims("u")), "not valid");
    served.set(new JsonObject().put("keys", new io.vertx.core.json.JsonArray()));
    assertRefused(jwt, new TestTokens("key-y").sign(TestTokens.claims("u")), "not valid");

    assertThat(fetches.get()).isEqualTo(3);
    assertThat(caller(jwt, issuer.sign(TestTokens.claims("u")))).as("the first keys still work").isEqualTo("jwt:u");
    assertRefused(jwt, TestTokens.unsigned(TestTokens.claims("u"), false) + ".x", "not accepted");
  }

  @Test
  void theApiDoesNotStartWithoutAUsableKey() {
    served.set(404);
    assertThatThrownBy(() -> start(0)).hasMessageContaining("IMAGERY_JWT_JWKS_URL").hasMessageContaining("HTTP 404");

    served.set(new JsonObject().put("keys", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("kty", "oct").put("k", "c2VjcmV0").put("kid", "shared-secret"))));
    assertThatThrownBy(() -> start(0)).as("a symmetric key is no public key")
        .hasMessageContaining("no public signing key");

    served.set("not json");
    assertThatThrownBy(() -> start(0)).hasMessageContaining("no usable signing key");
  }
}
