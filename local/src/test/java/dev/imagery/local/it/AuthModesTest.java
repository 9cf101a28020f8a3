package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@code IMAGERY_AUTH_MODE=api-key} through the real API: no key or a wrong one is a 401 JSON error with
 * WWW-Authenticate on every image route, both keys of a rotation work, health and the web page stay open. Mode
 * {@code none} is what every other end-to-end test runs in. (The JWT mode is tested against a real JWKS server in the
 * API module: JwtAuthenticatorTest, CallerGateTest.)
 */
class AuthModesTest {

  private final AuthStack stack = AuthStack.get();

  private List<Function<ApiClient, ApiClient.Response>> imageRoutes(String id) {
    return List.of(
        api -> api.send("POST", "/image"),
        api -> api.create(UUID.randomUUID().toString()),
        api -> api.get("/image/" + id),
        api -> api.get("/image/" + id + "?waitFor=final&timeout=1"),
        api -> api.upload(id, Images.resource("pillow/hopper.jpg")),
        api -> api.get("/image/" + id + "/original"),
        api -> api.get("/image/" + id + "/result"),
        api -> api.get("/image/" + id + "/thumbnail"),
        api -> api.send("DELETE", "/image/" + id),
        api -> api.get("/image/" + id + "/no-such-thing"));
  }

  @Test
  void withoutAKeyEveryImageRouteIs401WithWwwAuthenticate() {
    String id = stack.alice.createImage();

    for (Function<ApiClient, ApiClient.Response> route : imageRoutes(id)) {
      ApiClient.Response refused = route.apply(stack.anonymous);
      assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
      assertThat(refused.json().getString("error")).isEqualTo("UNAUTHORIZED");
      assertThat(refused.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"imagery\"");
    }
    assertThat(stack.alice.get("/image/" + id).json().getString("state")).isEqualTo("created");
  }

  @Test
  void aWrongKeyIs401AndSaysTheTokenIsInvalid() {
    String id = stack.alice.createImage();

    for (ApiClient wrong : List.of(stack.anonymous.withBearer(AuthStack.newKey()),
        stack.anonymous.withBearer(AuthStack.sha256(AuthStack.newKey())), stack.anonymous.withBearer("x"))) {
      for (Function<ApiClient, ApiClient.Response> route : imageRoutes(id)) {
        ApiClient.Response refused = route.apply(wrong);
        assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate"))
            .contains("Bearer realm=\"imagery\", error=\"invalid_token\"");
      }
    }
  }

  @Test
  void bothKeysOfARotationAreTheSameCallerThroughTheWholeFlow() {
    String id = UUID.randomUUID().toString();
    byte[] photo = Images.resource("pillow/hopper.jpg");

    assertThat(stack.alice.create(id).status()).isEqualTo(201);
    assertThat(stack.aliceRotated.upload(id, photo).status()).isEqualTo(202);
    assertThat(stack.alice.get("/image/" + id + "?waitFor=final&timeout=30").json().getString("state"))
        .isEqualTo("processed");
    assertThat(stack.aliceRotated.bytes("/image/" + id + "/original")).isEqualTo(photo);
    assertThat(stack.alice.bytes("/image/" + id + "/thumbnail")).isNotEmpty();
  }

  @Test
  void healthAndTheWebPageStayOpen() {
    assertThat(stack.anonymous.get("/health/live").status()).isEqualTo(200);
    assertThat(stack.anonymous.get("/health/ready").status()).isEqualTo(200);
    ApiClient.Response page = stack.anonymous.get("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("<html");
    assertThat(stack.anonymous.get("/admin/dead-letters").status()).as("still never on the public port")
        .isEqualTo(404);
  }

  @Test
  void aKeyAnywhereButTheAuthorizationHeaderIsNoKey() {
    String id = stack.alice.createImage();
    String image = stack.anonymous.base() + "/image/" + id;

    List<ApiClient.Response> answers = List.of(
        stack.anonymous.get("/image/" + id + "?access_token=" + stack.aliceKey),
        stack.anonymous.get("/image/" + id + "?api_key=" + stack.aliceKey),
        stack.anonymous.send(HttpRequest.newBuilder(URI.create(image)).header("X-Api-Key", stack.aliceKey).GET()),
        stack.anonymous.send(HttpRequest.newBuilder(URI.create(image)).header("Cookie", "token=" + stack.aliceKey)
            .GET()),
        stack.anonymous.send(HttpRequest.newBuilder(URI.create(image)).header("Authorization", stack.aliceKey).GET()));

    for (ApiClient.Response refused : answers) {
      assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
      assertThat(refused.json().getString("error")).isEqualTo("UNAUTHORIZED");
    }
  }

  @Test
  void pathTricksNeverReachAnotherCallersImage() {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String id = stack.alice.createAndUpload(UUID.randomUUID().toString(), photo);
    assertThat(stack.alice.get("/image/" + id + "?waitFor=final&timeout=30").json().getString("state"))
        .isEqualTo("processed");
    List<String> tricks = List.of(
        "/image/" + id + "/../" + id,
        "/image/./" + id,
        "/image/%2e%2e/image/" + id + "/original",
        "/image/x/%2e%2e/" + id + "/original",
        "//image/" + id + "/original",
        "/image//" + id + "/original",
        "/image/" + id + "%2Foriginal",
        "/image/" + id + "/original/",
        "/image/" + id + "/original;x=y",
        "/IMAGE/" + id + "/original",
        "/image/" + id.toUpperCase(java.util.Locale.ROOT) + "/original",
        "/image/" + id + "%00/original",
        "/image/%20" + id + "/original");

    for (String path : tricks) {
      for (ApiClient caller : List.of(stack.anonymous, stack.bob)) {
        ApiClient.Response answer = caller.get(path);
        assertThat(answer.status()).as("%s %s: %s", caller == stack.bob ? "bob" : "nobody", path, answer)
            .isBetween(400, 499);
        assertThat(answer.body()).as(path).doesNotContain("\"state\"");
      }
    }
    assertThat(stack.alice.bytes("/image/" + id + "/original")).as("the image is there for its owner").isEqualTo(photo);
  }
}
