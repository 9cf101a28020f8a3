package dev.imagery.api.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.api.http.ErrorResponses;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.ValidatorException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ParameterValidation answers exactly as the OpenAPI router's own validation does: the same two routers over the
 * same contract, one validating as vertx-openapi does and one with ParameterValidation in its place, must agree
 * on every request, the refused ones (status, exception type and message) as the admitted ones.
 */
class ParameterValidationTest {

  private static final String ID = "3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48";
  private static final String[][] CALLS = {
      {"POST", "/image"},
      {"GET", "/image/" + ID}, {"GET", "/image/not-a-uuid"}, {"GET", "/image/" + ID.toUpperCase()},
      {"GET", "/image/" + ID + "?waitFor=final"}, {"GET", "/image/" + ID + "?waitFor=done"},
      {"GET", "/image/" + ID + "?waitFor="}, {"GET", "/image/" + ID + "?waitFor=final&timeout=30"},
      {"GET", "/image/" + ID + "?waitFor=final&timeout=31"}, {"GET", "/image/" + ID + "?waitFor=final&timeout=1.5"},
      {"GET", "/image/" + ID + "?waitFor=final&timeout=soon"}, {"GET", "/image/" + ID + "?timeout=5"},
      {"GET", "/image/nope?waitFor=done&timeout=99"}, {"GET", "/image/" + ID + "?waitFor=final&waitFor=processed"},
      {"PUT", "/image/42"}, {"PUT", "/image/" + ID}, {"DELETE", "/image/not-a-uuid"}, {"DELETE", "/image/" + ID},
      {"POST", "/image/12345/upload"}, {"POST", "/image/" + ID + "/upload"}, {"PUT", "/image/12345/upload"},
      {"GET", "/image/12345/original"}, {"GET", "/image/" + ID + "/result"}, {"GET", "/image/" + ID + "x/thumbnail"},
      {"GET", "/health/live"}, {"GET", "/health/ready"}, {"GET", "/openapi.yaml"}};

  private static Vertx vertx;
  private static HttpClient http;
  private static String router;
  private static String ours;
  private static final List<OpenAPIRoute> REPLACED = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    ApiContract contract = ApiContract.load(vertx).await(30, TimeUnit.SECONDS);
    router = serve(build(contract, false));
    ours = serve(build(contract, true));
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void everyOperationWithoutABodyIsValidatedByParameterValidation() {
    assertThat(REPLACED).isNotEmpty().allSatisfy(route -> {
      assertThat(route.doValidation()).as(route.getOperation().getOperationId()).isFalse();
      assertThat(route.getHandlers().get(0)).isInstanceOf(ParameterValidation.class);
    });
  }

  @Test
  void itAnswersEveryRequestAsTheRoutersOwnValidation() throws Exception {
    int refused = 0;
    for (String[] call : CALLS) {
      HttpResponse<String> expected = send(router, call);
      HttpResponse<String> actual = send(ours, call);
      String what = call[0] + " " + call[1];
      assertThat(actual.statusCode()).as(what).isEqualTo(expected.statusCode());
      assertThat(actual.body()).as(what).isEqualTo(expected.body());
      refused += expected.statusCode() == 400 ? 1 : 0;
    }
    // The comparison covers refusals of each kind of parameter, not only admitted requests.
    assertThat(refused).isGreaterThanOrEqualTo(12);
  }

  /** Every operation answers 200 once validated; a refusal answers its status, exception type and message. */
  private static Router build(ApiContract contract, boolean withParameterValidation) {
    RouterBuilder builder = RouterBuilder.create(vertx, contract.routing());
    for (OpenAPIRoute route : builder.getRoutes()) {
      route.setDoSecurity(false)
          .addHandler(ctx -> ctx.response().end("validated " + route.getOperation().getOperationId()))
          .addFailureHandler(ParameterValidationTest::refused);
      if (withParameterValidation) {
        ParameterValidation.replaceRouterValidation(contract.routing(), route);
        REPLACED.add(route);
      }
    }
    return builder.createRouter();
  }

  private static void refused(RoutingContext ctx) {
    ValidatorException violation = ErrorResponses.contractViolation(ctx.failure());
    ctx.response().setStatusCode(ctx.statusCode() > 0 ? ctx.statusCode() : 500).end(ctx.failure().getClass().getName()
        + ": " + ctx.failure().getMessage() + (violation == null ? ""
        : " / " + violation.getClass().getName() + " " + violation.type() + ": " + violation.getMessage()));
  }

  private static String serve(Router handler) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1")
        .await(30, TimeUnit.SECONDS);
    return "http://127.0.0.1:" + server.actualPort();
  }

  private static HttpResponse<String> send(String base, String[] call) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + call[1])).timeout(Duration.ofSeconds(30))
        .method(call[0], HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }
}
