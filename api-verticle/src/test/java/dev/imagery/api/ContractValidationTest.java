package dev.imagery.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.api.contract.ApiContract;
import dev.imagery.api.contract.ContractRoutes;
import dev.imagery.api.health.HealthRoutes;
import dev.imagery.api.http.SecurityHeaders;
import dev.imagery.api.image.ImageRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The public router on a real HTTP server: requests that break the OpenAPI contract are refused with our JSON
 * errors before any handler runs, and the document is served. No request here gets past validation to a
 * backend, so the routes have none (the end-to-end tests in local/ run the same router against the emulators).
 */
class ContractValidationTest {

  private static final String ID = "3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48";

  private static Vertx vertx;
  private static HttpServer server;
  private static HttpClient http;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    ApiContract contract = ApiContract.load(vertx).await(30, TimeUnit.SECONDS);
    PublicRouter.Built built = PublicRouter.build(vertx, contract,
        SecurityHeaders.forPage(PublicRouter.WEBROOT + "/index.html"),
        new ImageRoutes(vertx, null, null, null, null, "bucket", 1024),
        new HealthRoutes(vertx, null, null, null, "bucket", () -> false));
    server = vertx.createHttpServer().requestHandler(built.router()).listen(0, "127.0.0.1")
        .await(30, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + server.actualPort();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theDocumentIsServedAsYaml() throws Exception {
    HttpResponse<byte[]> response = http.send(request("GET", "/openapi.yaml").build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(ContractRoutes.YAML);
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(ApiContract.RESOURCE)) {
      assertThat(response.body()).isEqualTo(in.readAllBytes());
    }
    assertThat(new String(response.body(), StandardCharsets.UTF_8)).startsWith("openapi: 3.1.");
  }

  @Test
  void aMalformedIdIs400InvalidIdOnEveryRoute() throws Exception {
    for (String[] call : new String[][] {
        {"GET", "/image/not-a-uuid"}, {"PUT", "/image/42"}, {"GET", "/image/not-a-uuid/original"},
        {"GET", "/image/12345/result"}, {"GET", "/image/" + ID + "x/thumbnail"}, {"POST", "/image/12345/upload"},
        {"DELETE", "/image/not-a-uuid"}}) {
      assertError(send(call[0], call[1]), 400, "INVALID_ID", "path parameter id");
    }
  }

  @Test
  void aWaitForThatIsNotAStateIs400InvalidWaitFor() throws Exception {
    assertError(send("GET", "/image/" + ID + "?waitFor=done"), 400, "INVALID_WAIT_FOR", "query parameter waitFor");
    assertError(send("GET", "/image/" + ID + "?waitFor="), 400, "INVALID_WAIT_FOR", "query parameter waitFor");
  }

  @Test
  void aTimeoutOutOfRangeIs400InvalidTimeout() throws Exception {
    for (String timeout : new String[] {"0", "31", "soon", "1.5", "-3"}) {
      assertError(send("GET", "/image/" + ID + "?waitFor=final&timeout=" + timeout), 400, "INVALID_TIMEOUT",
          "query parameter timeout");
    }
  }

  @Test
  void theFirstBrokenParameterNamesTheCode() throws Exception {
    assertError(send("GET", "/image/nope?waitFor=done&timeout=99"), 400, "INVALID_ID", "path parameter id");
  }

  /**
   * The upload's parameters are checked from its head alone: the refusal comes while the body has not been sent,
   * so the validator never waits for it (nor reads it).
   */
  @Test
  void anUploadToAMalformedIdIsRefusedBeforeItsBodyIsSent() throws Exception {
    URI uri = URI.create(base);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(10_000);
      String head = "POST /image/12345/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000000\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();

      assertThat(status).isEqualTo("HTTP/1.1 400 Bad Request");
    }
  }

  @Test
  void documentedOperationsWithoutAHandlerYetAre405() throws Exception {
    assertError(send("PUT", "/image/" + ID + "/upload"), 405, "METHOD_NOT_ALLOWED", "method");
  }

  @Test
  void aRefusalCarriesTheTraceAndTheSecurityHeaders() throws Exception {
    HttpResponse<String> refused = send("GET", "/image/not-a-uuid");

    assertThat(refused.headers().firstValue("traceparent")).hasValueSatisfying(
        trace -> assertThat(trace).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]"));
    assertThat(refused.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(refused.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
        policy -> assertThat(policy).startsWith("default-src 'none'"));
  }

  @Test
  void unknownRoutesAndTheAdminRoutesAre404() throws Exception {
    assertError(send("GET", "/no/such/route"), 404, "NOT_FOUND", "no such resource");
    assertError(send("GET", "/admin/dead-letters"), 404, "NOT_FOUND", "no such resource");
    assertError(send("POST", "/admin/dead-letters/redrive"), 404, "NOT_FOUND", "no such resource");
  }

  @Test
  void aValidRequestReachesItsHandler() throws Exception {
    HttpResponse<String> live = send("GET", "/health/live");

    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(live.body()).getString("status")).isEqualTo("UP");
  }

  private static HttpRequest.Builder request(String method, String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .method(method, HttpRequest.BodyPublishers.noBody());
  }

  private static HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
    return http.send(request(method, path).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(HttpResponse<String> response, int status, String code, String messagePart) {
    String what = response.request().method() + " " + response.request().uri().getRawPath() + " -> "
        + response.statusCode() + " " + response.body();
    assertThat(response.statusCode()).as(what).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).as(what).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/json"));
    JsonObject body = new JsonObject(response.body());
    assertThat(body.fieldNames()).as(what).containsExactlyInAnyOrder("error", "message");
    assertThat(body.getString("error")).as(what).isEqualTo(code);
    assertThat(body.getString("message")).as(what).contains(messagePart).doesNotContain("Exception");
  }
}
