package dev.imagery.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.api.http.ErrorResponses;
import dev.imagery.shared.config.ImageryConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gate in front of the image routes, on a real router and HTTP server: who gets in (401 otherwise, as JSON with
 * WWW-Authenticate), what stays open, and the per-caller limits (429 with Retry-After).
 */
class CallerGateTest {

  private static final String ALICE_OLD = "alice-old-key-0123456789";
  private static final String ALICE_NEW = "alice-new-key-9876543210";
  private static final String BOB = "bob-key-abcdefghij";

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final LinkedBlockingQueue<RoutingContext> heldUploads = new LinkedBlockingQueue<>();
  private Vertx vertx;
  private HttpServer server;

  @AfterEach
  void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static Map<String, String> apiKeys() {
    return Map.of("IMAGERY_AUTH_MODE", "api-key", "IMAGERY_API_KEYS",
        "alice:" + ApiKeyAuthenticatorTest.hash(ALICE_OLD) + ",bob:" + ApiKeyAuthenticatorTest.hash(BOB)
            + ",alice:" + ApiKeyAuthenticatorTest.hash(ALICE_NEW));
  }

  /** A router like the API's: the gate, an image route that shows the caller, an upload route that holds on. */
  private void start(Map<String, String> env) throws Exception {
    vertx = Vertx.vertx();
    Context context = vertx.getOrCreateContext();
    ImageryConfig.Api config = ImageryConfig.fromEnv(env).api();
    Promise<HttpServer> listening = Promise.promise();
    context.runOnContext(v -> CallerGate.start(vertx, config).compose(gate -> {
      Router router = Router.router(vertx);
      gate.mount(router);
      router.get("/image/:id").handler(ctx -> ctx.json(new JsonObject()
          .put("caller", Caller.of(ctx).id()).put("limitKey", Caller.of(ctx).limitKey())
          .put("user", ctx.user() == null ? null : ctx.user().subject())));
      router.post("/image/:id/upload").handler(heldUploads::add);
      router.get("/health/live").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
      router.route().failureHandler(ErrorResponses::handle);
      return vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1");
    }).onComplete(listening));
    server = listening.future().await(20, TimeUnit.SECONDS);
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private CompletableFuture<HttpResponse<String>> upload(String key) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort()
            + "/image/x/upload"))
        .header("Authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString("some bytes")).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String bearer(String key) {
    return "Bearer " + key;
  }

  @Test
  void withoutAuthenticationEveryoneIsAnonymousAndLimitedByAddress() throws Exception {
    start(Map.of());

    HttpResponse<String> answer = get("/image/x");

    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(answer.body()).getString("caller")).isEqualTo("anonymous");
    assertThat(new JsonObject(answer.body()).getString("limitKey")).isEqualTo("address:127.0.0.1");
  }

  @Test
  void withApiKeysAMissingOrWrongKeyIsA401AsJsonWithWwwAuthenticate() throws Exception {
    start(apiKeys());

    HttpResponse<String> missing = get("/image/x");
    HttpResponse<String> wrong = get("/image/x", "Authorization", bearer("guess"));
    HttpResponse<String> basic = get("/image/x", "Authorization", "Basic YWxpY2U6cGFzcw==");
    HttpResponse<String> empty = get("/image/x", "Authorization", "Bearer ");
    HttpResponse<String> creating = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + server.actualPort() + "/image")).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());

    for (HttpResponse<String> refused : java.util.List.of(missing, wrong, basic, empty, creating)) {
      assertThat(refused.statusCode()).as(refused.uri() + " " + refused.body()).isEqualTo(401);
      assertThat(refused.headers().firstValue("Content-Type")).contains("application/json");
      assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("UNAUTHORIZED");
      assertThat(refused.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer realm=\"imagery\"");
    }
    assertThat(new JsonObject(missing.body()).getString("message")).contains("Authorization: Bearer <API key>");
    assertThat(missing.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"imagery\"");
    assertThat(wrong.headers().firstValue("WWW-Authenticate"))
        .contains("Bearer realm=\"imagery\", error=\"invalid_token\"");
  }

  @Test
  void aGoodKeyNamesItsCallerAndBothKeysOfARotationAreAccepted() throws Exception {
    start(apiKeys());

    assertThat(new JsonObject(get("/image/x", "Authorization", bearer(ALICE_OLD)).body()).getString("caller"))
        .isEqualTo("key:alice");
    assertThat(new JsonObject(get("/image/x", "Authorization", bearer(ALICE_OLD)).body()).getString("user"))
        .as("the Vert.x user, for the access log").isEqualTo("key:alice");
    assertThat(new JsonObject(get("/image/x", "Authorization", bearer(ALICE_NEW)).body()).getString("caller"))
        .isEqualTo("key:alice");
    assertThat(new JsonObject(get("/image/x", "Authorization", "bearer  " + BOB).body()).getString("caller"))
        .as("the scheme is case-insensitive").isEqualTo("key:bob");
  }

  @Test
  void withJwtsTheCallerIsTheSubjectOfAGoodTokenAndAnythingElseIs401() throws Exception {
    TestTokens issuer = new TestTokens("k1");
    Vertx idp = Vertx.vertx();
    try {
      HttpServer jwks = idp.createHttpServer()
          .requestHandler(request -> request.response().end(TestTokens.jwks(issuer).encode()))
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      start(Map.of("IMAGERY_AUTH_MODE", "jwt",
          "IMAGERY_JWT_JWKS_URL", "http://127.0.0.1:" + jwks.actualPort() + "/jwks.json",
          "IMAGERY_JWT_ISSUER", TestTokens.ISSUER,
          "IMAGERY_JWT_AUDIENCE", TestTokens.AUDIENCE));

      HttpResponse<String> good = get("/image/x", "Authorization", bearer(issuer.sign(TestTokens.claims("user-7"))));
      HttpResponse<String> forged = get("/image/x", "Authorization",
          bearer(new TestTokens("k1").sign(TestTokens.claims("user-7"))));
      HttpResponse<String> missing = get("/image/x");

      assertThat(good.statusCode()).as(good.body()).isEqualTo(200);
      assertThat(new JsonObject(good.body()).getString("caller")).isEqualTo("jwt:user-7");
      assertThat(forged.statusCode()).isEqualTo(401);
      assertThat(forged.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"imagery\", error=\"invalid_token\"");
      assertThat(missing.statusCode()).isEqualTo(401);
      assertThat(new JsonObject(missing.body()).getString("message")).contains("Authorization: Bearer <JWT>");
    } finally {
      idp.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void twoAuthorizationHeadersAreRefusedWhicheverComesFirst() throws Exception {
    start(apiKeys());

    HttpResponse<String> both = get("/image/x", "Authorization", bearer(ALICE_OLD), "Authorization", bearer(BOB));

    assertThat(both.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(both.body()).getString("message")).contains("one Authorization header");
  }

  @Test
  void overHttp2AnUploadWithoutContentLengthStillTakesASlotButAGetDoesNot() throws Exception {
    Map<String, String> env = new HashMap<>(apiKeys());
    env.put("IMAGERY_CALLER_MAX_UPLOADS", "1");
    start(env);
    io.vertx.core.http.HttpClient h2 = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    io.vertx.core.http.RequestOptions upload = new io.vertx.core.http.RequestOptions()
        .setMethod(io.vertx.core.http.HttpMethod.POST).setHost("127.0.0.1").setPort(server.actualPort())
        .setURI("/image/x/upload").putHeader("Authorization", bearer(ALICE_OLD));

    // Streamed: no Content-Length, no Transfer-Encoding (HTTP/2 has none), the body still coming.
    io.vertx.core.http.HttpClientRequest first = h2.request(upload).await(10, TimeUnit.SECONDS);
    first.setChunked(true);
    first.write("part of a photo").await(10, TimeUnit.SECONDS);
    RoutingContext held = held();
    int second = h2.request(upload).compose(r -> r.send("another"))
        .map(io.vertx.core.http.HttpClientResponse::statusCode).await(10, TimeUnit.SECONDS);
    int read = h2.request(new io.vertx.core.http.RequestOptions(upload).setMethod(io.vertx.core.http.HttpMethod.GET)
            .setURI("/image/x"))
        .compose(io.vertx.core.http.HttpClientRequest::send)
        .map(io.vertx.core.http.HttpClientResponse::statusCode).await(10, TimeUnit.SECONDS);

    assertThat(second).as("a second upload of the same caller, over HTTP/2").isEqualTo(429);
    assertThat(read).as("a GET over HTTP/2 is no upload").isEqualTo(200);
    end(held);
  }

  @Test
  void healthStaysOpen() throws Exception {
    start(apiKeys());

    assertThat(get("/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  void aCallerOverItsRateGets429WithRetryAfterAndOthersDoNot() throws Exception {
    Map<String, String> env = new HashMap<>(apiKeys());
    env.put("IMAGERY_CALLER_REQUESTS_PER_SECOND", "1");
    env.put("IMAGERY_CALLER_REQUEST_BURST", "3");
    start(env);

    for (int i = 0; i < 3; i++) {
      assertThat(get("/image/x", "Authorization", bearer(ALICE_OLD)).statusCode()).isEqualTo(200);
    }
    HttpResponse<String> limited = get("/image/x", "Authorization", bearer(ALICE_NEW));
    HttpResponse<String> bob = get("/image/x", "Authorization", bearer(BOB));
    HttpResponse<String> unauthenticated = get("/image/x");

    assertThat(limited.statusCode()).as("alice's two keys share her limit").isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("1");
    assertThat(new JsonObject(limited.body()).getString("error")).isEqualTo("TOO_MANY_REQUESTS");
    assertThat(bob.statusCode()).isEqualTo(200);
    assertThat(unauthenticated.statusCode()).as("authentication comes first").isEqualTo(401);
  }

  @Test
  void aCallerWithTheMostUploadsRunningGets429ForAnotherButMayStillRead() throws Exception {
    Map<String, String> env = new HashMap<>(apiKeys());
    env.put("IMAGERY_CALLER_MAX_UPLOADS", "1");
    start(env);

    CompletableFuture<HttpResponse<String>> first = upload(ALICE_OLD);
    RoutingContext alices = held();
    HttpResponse<String> second = upload(ALICE_NEW).get(10, TimeUnit.SECONDS);
    CompletableFuture<HttpResponse<String>> bobs = upload(BOB);
    RoutingContext bobsHeld = held();

    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(second.headers().firstValue("Retry-After")).contains("1");
    assertThat(new JsonObject(second.body()).getString("message")).contains("uploads at once");
    assertThat(get("/image/x", "Authorization", bearer(ALICE_OLD)).statusCode()).as("not an upload").isEqualTo(200);

    end(alices);
    end(bobsHeld);
    assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
    assertThat(bobs.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(202);
    CompletableFuture<HttpResponse<String>> third = upload(ALICE_NEW);
    end(held());
    assertThat(third.get(10, TimeUnit.SECONDS).statusCode()).as("the ended upload gave its slot back").isEqualTo(202);
  }

  /** The next upload the route holds, once it arrives. */
  private RoutingContext held() throws InterruptedException {
    RoutingContext ctx = heldUploads.poll(10, TimeUnit.SECONDS);
    assertThat(ctx).as("an upload reached the route").isNotNull();
    return ctx;
  }

  private static void end(RoutingContext held) {
    held.vertx().runOnContext(v -> held.response().setStatusCode(202).end());
  }
}
