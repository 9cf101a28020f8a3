package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The browser-facing headers on every route of the public port: {@code nosniff}, no referrer and a deny-all policy
 * on JSON, errors and image bytes; the page's own Content-Security-Policy, which allows exactly its inline script and
 * style; the originals as attachments with a name of ours.
 */
class HardenedHeadersTest {

  private static final String API_POLICY = "default-src 'none'; frame-ancestors 'none'";

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;

  @Test
  void everyJsonAnswerAndEveryErrorIsNosniffWithTheDenyAllPolicy() {
    String id = UUID.randomUUID().toString();
    Map<String, ApiClient.Response> answers = new LinkedHashMap<>();
    answers.put("POST /image", api.send("POST", "/image"));
    answers.put("PUT /image/{id}", api.create(id));
    answers.put("POST /image/{id}/upload", api.upload(id, Images.resource("pillow/hopper.jpg")));
    answers.put("GET /image/{id}", api.get("/image/" + id));
    answers.put("GET /image/{id}?waitFor", api.get("/image/" + id + "?waitFor=final&timeout=20"));
    answers.put("GET /health/live", api.get("/health/live"));
    answers.put("GET /health/ready", api.get("/health/ready"));
    answers.put("404 unknown id", api.get("/image/" + UUID.randomUUID()));
    answers.put("400 malformed id", api.get("/image/not-a-uuid"));
    answers.put("404 unknown route", api.get("/no/such/route"));
    answers.put("404 admin on the public port", api.get("/admin/dead-letters"));
    answers.put("405", api.send("PATCH", "/image/" + id));
    answers.put("415", api.upload(api.createImage(), "<html>not an image</html>".getBytes(StandardCharsets.UTF_8)));
    answers.put("DELETE /image/{id}", api.send("DELETE", "/image/" + id));

    answers.forEach((route, response) -> {
      assertThat(response.status()).as(route).isBetween(200, 499);
      assertApiHeaders(route, response);
    });
    assertThat(answers.get("DELETE /image/{id}").status()).isEqualTo(204);
  }

  @Test
  void imageBytesAreNosniffAndTheOriginalIsAnAttachmentNamedByUs() {
    String id = api.createAndUpload(UUID.randomUUID().toString(), Images.resource("pillow/hopper.jpg"));
    JsonObject done = api.awaitFinal(id);
    assertThat(done.getString("state")).isEqualTo("processed");

    ApiClient.Response original = api.get("/image/" + id + "/original");
    ApiClient.Response result = api.get("/image/" + id + "/result");
    ApiClient.Response thumbnail = api.get("/image/" + id + "/thumbnail");

    assertApiHeaders("original", original);
    assertThat(original.headers().firstValue("Content-Disposition"))
        .contains("attachment; filename=\"" + id + "-original.jpg\"");
    assertApiHeaders("result", result);
    assertThat(result.headers().firstValue("Content-Disposition")).contains("inline; filename=\"" + id + "-sepia.jpg\"");
    assertApiHeaders("thumbnail", thumbnail);
    assertThat(thumbnail.headers().firstValue("Content-Disposition"))
        .contains("inline; filename=\"" + id + "-thumbnail.jpg\"");
    assertThat(original.headers().firstValue("Content-Type")).contains("image/jpeg");
  }

  @Test
  void thePageHasAPolicyThatAllowsItsOwnInlineCodeByHashAndNothingElse() throws Exception {
    for (String path : new String[] {"/", "/index.html"}) {
      ApiClient.Response page = api.get(path);
      assertThat(page.status()).as(path).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Type")).as(path).hasValueSatisfying(
          type -> assertThat(type).startsWith("text/html"));
      assertThat(page.headers().firstValue("X-Content-Type-Options")).as(path).contains("nosniff");
      assertThat(page.headers().firstValue("Referrer-Policy")).as(path).contains("no-referrer");
      assertThat(page.headers().firstValue("X-Frame-Options")).as(path).contains("DENY");
      assertThat(page.headers().allValues("Content-Security-Policy")).as(path).hasSize(1);
      String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();

      assertThat(policy).as(path).startsWith("default-src 'none'").contains("frame-ancestors 'none'")
          .contains("script-src 'self' 'sha256-" + sha256(inline("script", page.body())) + "'")
          .contains("style-src 'self' 'sha256-" + sha256(inline("style", page.body())) + "'")
          .doesNotContain("unsafe-inline", "unsafe-eval", "*");
    }
  }

  private static void assertApiHeaders(String route, ApiClient.Response response) {
    assertThat(response.headers().firstValue("X-Content-Type-Options")).as(route + " nosniff").contains("nosniff");
    assertThat(response.headers().firstValue("Referrer-Policy")).as(route + " Referrer-Policy")
        .contains("no-referrer");
    assertThat(response.headers().allValues("Content-Security-Policy")).as(route + " CSP").containsExactly(API_POLICY);
  }

  /** The text of the page's one inline block of {@code tag}, as the browser hashes it. */
  private static String inline(String tag, String html) {
    Matcher matcher = Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", Pattern.DOTALL).matcher(html);
    assertThat(matcher.find()).as("an inline <%s> in the page", tag).isTrue();
    String text = matcher.group(1);
    assertThat(matcher.find()).as("only one inline <%s>", tag).isFalse();
    return text;
  }

  private static String sha256(String text) throws Exception {
    return Base64.getEncoder().encodeToString(
        MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
