package dev.imagery.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.api.contract.ApiContract;
import dev.imagery.api.health.HealthRoutes;
import dev.imagery.api.http.SecurityHeaders;
import dev.imagery.api.image.ImageRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The OpenAPI document and the public router agree route for route: every documented operation is a route with
 * its method and path and a handler bound to its operationId, and every route of the public port is documented,
 * apart from the web page and the refusal of /admin/*.
 */
class PublicRouterTest {

  /**
   * Documented ahead of their handlers, by work in progress on issue 9 (they answer 405 until then). Each one
   * leaves this list when its handler is bound; the test fails while a bound operation is still listed here.
   */
  private static final Set<String> DOCUMENTED_NOT_ROUTED_YET = Set.of(
      "uploadImageRaw"); // PUT /image/{id}/upload: the raw-body upload

  private static Vertx vertx;
  private static PublicRouter.Built built;

  @BeforeAll
  static void build() throws Exception {
    vertx = Vertx.vertx();
    ApiContract contract = ApiContract.load(vertx).await(30, TimeUnit.SECONDS);
    // Binding touches no backend: the routes' dependencies are only used by requests, and none is sent here.
    built = PublicRouter.build(vertx, contract, SecurityHeaders.forPage(PublicRouter.WEBROOT + "/index.html"),
        new ImageRoutes(vertx, null, null, null, null, "bucket", 1),
        new HealthRoutes(vertx, null, null, null, "bucket", () -> false));
  }

  @AfterAll
  static void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() throws IOException {
    Map<String, String> documented = documentedOperations();
    Set<String> routed = new TreeSet<>();
    for (Route route : built.router().getRoutes()) {
      if (route.getPath() != null && route.isExactPath()) {
        for (HttpMethod method : route.methods()) {
          routed.add(method.name() + " " + route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}"));
        }
      }
    }

    assertThat(routed).as("routes of the public port (method and path template)")
        .containsExactlyInAnyOrderElementsOf(documented.keySet());
    assertThat(built.unbound()).as("documented operations without a handler")
        .containsExactlyInAnyOrderElementsOf(DOCUMENTED_NOT_ROUTED_YET);
    assertThat(documented.values()).as("the allow-list names documented operations")
        .containsAll(DOCUMENTED_NOT_ROUTED_YET);
  }

  @Test
  void theOnlyUndocumentedRoutesAreThePageAndTheAdminRefusal() {
    List<String> others = built.router().getRoutes().stream()
        .filter(route -> route.getPath() != null && !route.isExactPath())
        .map(route -> methods(route) + " " + route.getPath())
        .toList();
    // A template with parameters is a regex path too; a pure regex route has no template.
    List<String> regex = built.router().getRoutes().stream()
        .filter(route -> route.isRegexPath() && route.getPath() == null)
        .map(route -> methods(route) + " regex")
        .toList();
    List<Route> pathless = built.router().getRoutes().stream()
        .filter(route -> route.getPath() == null && !route.isRegexPath())
        .toList();

    assertThat(others).as("prefix routes").containsExactlyInAnyOrder("ANY /admin/", "[GET] /");
    assertThat(regex).as("the page's headers on / and /index.html").containsExactly("[GET] regex");
    assertThat(pathless).as("routes for every request (root handlers, failure handler): no method of their own")
        .allSatisfy(route -> assertThat(route.methods()).isNullOrEmpty());
  }

  private static String methods(Route route) {
    return route.methods() == null || route.methods().isEmpty() ? "ANY" : route.methods().toString();
  }

  /** "METHOD /path/{template}" to operationId, read from the served document itself, not the router's copy. */
  @SuppressWarnings("unchecked")
  private static Map<String, String> documentedOperations() throws IOException {
    Map<String, Object> document;
    try (InputStream in = PublicRouterTest.class.getClassLoader().getResourceAsStream(ApiContract.RESOURCE)) {
      document = new Yaml().load(in);
    }
    Set<String> methods = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");
    Map<String, String> operations = new TreeMap<>();
    ((Map<String, Map<String, Object>>) document.get("paths")).forEach((path, item) -> item.forEach((key, value) -> {
      if (methods.contains(key)) {
        operations.put(key.toUpperCase(Locale.ROOT) + " " + path,
            new JsonObject((Map<String, Object>) value).getString("operationId"));
      }
    }));
    assertThat(operations).as("documented operations").hasSizeGreaterThanOrEqualTo(10);
    return operations;
  }
}
