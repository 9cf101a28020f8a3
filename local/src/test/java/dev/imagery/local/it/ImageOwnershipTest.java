package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * With authentication on, no caller can read, replace or upload to another's image, on any route: caller bob tries
 * every route of the API's router against alice's processed image and gets the 404 of a missing image, word for word,
 * and alice's image is left as it was. The table below has one row per route that names an image; the test walks
 * {@code router.getRoutes()} and fails on a route that has no row (or is not listed as naming no image), so a route
 * added later (a DELETE, another upload) cannot ship without its own row, which fails until the route asks
 * ImageAccess. Each row is also sent by alice, who must get a success: a row that fails for everyone proves nothing.
 */
class ImageOwnershipTest {

  /** How one route is called for image {@code id}. */
  private record Row(String route, BiFunction<ApiClient, String, ApiClient.Response> call) {
  }

  private static final byte[] ALICES_PHOTO = Images.resource("pillow/hopper.jpg");
  private static final byte[] BOBS_PHOTO = Images.resource("pngsuite/basn2c08.png");

  /** Every route that names an image ({@code :id}), as METHOD path, and how to call it; several rows may share one. */
  private static final List<Row> PER_IMAGE = List.of(
      new Row("GET /image/:id", (api, id) -> api.get("/image/" + id)),
      new Row("GET /image/:id", (api, id) -> api.get("/image/" + id + "?waitFor=final&timeout=2")),
      new Row("GET /image/:id", (api, id) -> api.get("/image/" + id + "?waitFor=uploaded&timeout=2")),
      new Row("PUT /image/:id", (api, id) -> api.create(id)),
      new Row("POST /image/:id/upload", (api, id) -> api.upload(id, "file", "mine.png", BOBS_PHOTO)),
      new Row("GET /image/:id/original", (api, id) -> api.get("/image/" + id + "/original")),
      new Row("GET /image/:id/result", (api, id) -> api.get("/image/" + id + "/result")),
      new Row("GET /image/:id/thumbnail", (api, id) -> api.get("/image/" + id + "/thumbnail")),
      new Row("DELETE /image/:id", (api, id) -> api.send("DELETE", "/image/" + id)),
      // The raw-body upload: the image itself as the body.
      new Row("PUT /image/:id/upload", (api, id) -> api.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create(api.base() + "/image/" + id + "/upload"))
          .header("Content-Type", "image/png")
          .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(BOBS_PHOTO)))));

  /** Routes that name no image, each with why it needs no row. */
  private static final Map<String, String> NAMING_NO_IMAGE = Map.of(
      "ANY /image/*", "CallerGate: authentication and limits in front of every image route",
      "POST /image", "creates a new image with a server-chosen id, owned by its caller",
      "GET /health/live", "open health check",
      "GET /health/ready", "open health check",
      "GET /openapi.yaml", "the API contract, open like the page",
      "ANY /admin/*", "always 404 on the public port",
      "GET /", "the static web page (GET /*: Vert.x keeps the path as /)",
      "GET regex:/(index\\.html)?", "the page's security headers",
      "ANY (no path)", "handlers of every request: the security headers, the failure handler");

  /** Whose answers end a route's wait for what the owner would have got (alice's answers, not bob's). */
  private static final Set<String> LAST_FOR_THE_OWNER = Set.of("DELETE /image/:id");

  private final AuthStack stack = AuthStack.get();

  @Test
  void everyRouteOfTheRouterIsCoveredByTheTableOrNamesNoImage() {
    Set<String> mounted = mountedRoutes();
    Set<String> rows = new TreeSet<>();
    PER_IMAGE.forEach(row -> rows.add(row.route()));
    List<String> uncovered = new ArrayList<>();
    for (String route : mounted) {
      if (namesAnImage(route) ? !rows.contains(route) : !NAMING_NO_IMAGE.containsKey(route)) {
        uncovered.add(route);
      }
    }

    assertThat(mounted).as("the walk found the image routes").contains("GET /image/:id", "POST /image/:id/upload", "PUT /image/:id/upload");
    assertThat(uncovered)
        .as("routes of the router that this test does not cover: a route naming an image (:id) needs rows in"
            + " PER_IMAGE (and must read its record through ImageAccess); any other route needs a line in"
            + " NAMING_NO_IMAGE saying why it names no image")
        .isEmpty();
  }

  @Test
  void anotherCallerGetsTheAnswerOfAMissingImageOnEveryRouteAndChangesNothing() {
    String id = UUID.randomUUID().toString();
    assertThat(stack.alice.createAndUpload(id, ALICES_PHOTO)).isEqualTo(id);
    JsonObject before = stack.alice.get("/image/" + id + "?waitFor=final&timeout=30").json();
    assertThat(before.getString("state")).as(before.encode()).isEqualTo("processed");
    Set<String> mounted = mountedRoutes();

    List<String> tried = new ArrayList<>();
    for (Row row : PER_IMAGE) {
      if (!mounted.contains(row.route())) {
        continue;
      }
      ApiClient.Response bobs = row.call().apply(stack.bob, id);
      tried.add(row.route());
      assertThat(bobs.status()).as("bob, %s on alice's image: %s", row.route(), bobs).isEqualTo(404);
      assertThat(bobs.json().getString("error")).isEqualTo("NOT_FOUND");
      assertThat(bobs.json().getString("message")).isEqualTo("no image with id " + id);
      if (!row.route().equals("PUT /image/:id") && !row.route().startsWith("DELETE")) {
        // The same bytes as for an id nobody has: the answer does not tell that alice's exists.
        String missing = UUID.randomUUID().toString();
        ApiClient.Response none = row.call().apply(stack.bob, missing);
        assertThat(none.status()).isEqualTo(404);
        assertThat(bobs.body().replace(id, missing)).as(row.route()).isEqualTo(none.body());
      }
    }

    assertThat(tried).as("every mounted image route was tried").containsAll(mountedPerImageRoutes(mounted));
    JsonObject after = stack.alice.get("/image/" + id).json();
    assertThat(after).as("alice's record, untouched").isEqualTo(before);
    assertThat(stack.alice.bytes("/image/" + id + "/original")).isEqualTo(ALICES_PHOTO);
    // Each row, sent by alice, gets past the ownership check: a row that fails for everyone would prove nothing.
    // (Her upload row sends other bytes to a processed image: 409, which only the image's owner can get.)
    List<Row> ownersTurn = new ArrayList<>(PER_IMAGE.stream()
        .filter(row -> mounted.contains(row.route()) && !LAST_FOR_THE_OWNER.contains(row.route())).toList());
    PER_IMAGE.stream().filter(row -> mounted.contains(row.route()) && LAST_FOR_THE_OWNER.contains(row.route()))
        .forEach(ownersTurn::add);
    for (Row row : ownersTurn) {
      ApiClient.Response alices = row.call().apply(stack.alice, id);
      assertThat(alices.status()).as("alice, %s on her own image: %s", row.route(), alices)
          .satisfiesAnyOf(status -> assertThat(status).isBetween(200, 299), status -> assertThat(status).isEqualTo(409));
    }
  }

  @Test
  void anIdTakenByAnotherCallerIsNeverTakenOver() {
    String id = UUID.randomUUID().toString();
    assertThat(stack.alice.create(id).status()).isEqualTo(201);

    ApiClient.Response bobs = stack.bob.create(id);
    ApiClient.Response bobsUpload = stack.bob.upload(id, BOBS_PHOTO);

    assertThat(bobs.status()).as(bobs.toString()).isEqualTo(404);
    assertThat(bobsUpload.status()).as("a created image is not open to another's upload either").isEqualTo(404);
    assertThat(stack.alice.get("/image/" + id).json().getString("state")).isEqualTo("created");
    assertThat(stack.alice.upload(id, ALICES_PHOTO).status()).isEqualTo(202);
  }

  @Test
  void aCallersKeysOfARotationShareItsImages() {
    String id = stack.alice.createImage();

    assertThat(stack.aliceRotated.get("/image/" + id).status()).isEqualTo(200);
    assertThat(stack.aliceRotated.create(id).status()).as("the idempotent create, by the same caller").isEqualTo(200);
  }

  /** The routes of the API's router, as METHOD path ("ANY" for all methods, "(no path)" for none). */
  private Set<String> mountedRoutes() {
    Set<String> routes = new TreeSet<>();
    for (Route route : stack.imagery.apiRoutes()) {
      String path = route.getPath() != null ? route.getPath()
          : route.isRegexPath() ? "regex:" + route.getName() : "(no path)";
      if (path.endsWith("/") && route.getPath() != null && !path.equals("/")) {
        path = path + "*"; // Vert.x keeps "/image/*" as "/image/"
      }
      Set<HttpMethod> methods = route.methods() == null ? Set.of() : route.methods();
      if (methods.isEmpty()) {
        routes.add("ANY " + path);
      }
      for (HttpMethod method : methods) {
        routes.add(method.name() + " " + path);
      }
    }
    return routes;
  }

  private static Set<String> mountedPerImageRoutes(Set<String> mounted) {
    Set<String> perImage = new TreeSet<>();
    mounted.stream().filter(ImageOwnershipTest::namesAnImage).forEach(perImage::add);
    return perImage;
  }

  /** A path with :id, or a regex route that matches an image's paths. */
  private static boolean namesAnImage(String route) {
    String path = route.substring(route.indexOf(' ') + 1);
    if (path.startsWith("regex:")) {
      java.util.regex.Pattern regex = java.util.regex.Pattern.compile(path.substring("regex:".length()));
      String id = UUID.randomUUID().toString();
      return Stream.of("/image/" + id, "/image/" + id + "/original", "/image/" + id + "/anything")
          .anyMatch(image -> regex.matcher(image).matches());
    }
    return path.contains(":id");
  }
}
