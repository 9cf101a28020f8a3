package dev.imagery.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The page's Content-Security-Policy and the image routes' Content-Disposition. */
class SecurityHeadersTest {

  @Test
  void thePagePolicyAllowsExactlyThePagesOwnInlineScriptAndStyle() throws Exception {
    String html = "<html><head><style>body{color:red}</style></head><body>"
        + "<script>console.log('one')</script><script src=\"app.js\"></script><script>\nlet two = 2;\n</script>"
        + "</body></html>";

    String policy = SecurityHeaders.pagePolicy(html);

    assertThat(policy).startsWith("default-src 'none'; ")
        .contains("script-src 'self' 'sha256-" + sha256("console.log('one')") + "' 'sha256-"
            + sha256("\nlet two = 2;\n") + "';")
        .contains("style-src 'self' 'sha256-" + sha256("body{color:red}") + "';")
        .contains("img-src 'self' blob: data:", "connect-src 'self'", "base-uri 'none'", "form-action 'self'")
        .endsWith("frame-ancestors 'none'")
        .doesNotContain("unsafe");
  }

  @Test
  void theShippedPageHasOneInlineScriptAndOneStyleInItsPolicy() {
    String policy = SecurityHeaders.forPage("webroot/index.html").pagePolicy();

    assertThat(policy.split("'sha256-", -1)).as("one hash for the script, one for the style").hasSize(3);
    assertThat(policy).matches(".*script-src 'self' 'sha256-[A-Za-z0-9+/]{43}=';.*")
        .matches(".*style-src 'self' 'sha256-[A-Za-z0-9+/]{43}=';.*");
    assertThatThrownBy(() -> SecurityHeaders.forPage("webroot/no-such-page.html"))
        .hasMessageContaining("no webroot/no-such-page.html on the classpath");
  }

  @Test
  void fileNamesAreOursAndPlain() {
    String id = "3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48";
    assertThat(ContentDisposition.of("attachment", id, "original", "image/jpeg"))
        .isEqualTo("attachment; filename=\"" + id + "-original.jpg\"");
    assertThat(ContentDisposition.of("inline", id, "sepia", "image/png"))
        .isEqualTo("inline; filename=\"" + id + "-sepia.png\"");
    assertThat(ContentDisposition.of("attachment", id, "original", "IMAGE/BMP; x=y")).endsWith("-original.bmp\"");
    assertThat(ContentDisposition.of("attachment", id, "original", "text/html")).endsWith("-original.bin\"");
    assertThat(ContentDisposition.of("attachment", id, "original", null)).endsWith("-original.bin\"");
    assertThatThrownBy(() -> ContentDisposition.of("attachment", "x\"; filename=evil.html", "original", "image/png"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ContentDisposition.of("form-data", id, "original", "image/png"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static String sha256(String text) throws Exception {
    return Base64.getEncoder().encodeToString(
        MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
