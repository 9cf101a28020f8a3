package dev.imagery.shared.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imagery.shared.config.ImageryConfig.ApiKey;
import dev.imagery.shared.config.ImageryConfig.AuthMode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IMAGERY_AUTH_MODE and its settings, and the per-caller limits: what is read, and what is refused at start. */
class AuthConfigTest {

  private static final String H1 = "a".repeat(64);
  private static final String H2 = "0123456789ABCDEF".repeat(4);
  private static final String H3 = "b".repeat(64);

  private static ImageryConfig.Auth auth(Map<String, String> env) {
    return ImageryConfig.fromEnv(env).api().auth();
  }

  @Test
  void authenticationIsOffByDefaultAndTheLimitsAreOn() {
    ImageryConfig.Api api = ImageryConfig.fromEnv(Map.of()).api();

    assertThat(api.auth().mode()).isEqualTo(AuthMode.NONE);
    assertThat(api.auth().apiKeys()).isEmpty();
    assertThat(api.auth().jwt()).isEmpty();
    assertThat(api.callerLimits()).isEqualTo(new ImageryConfig.CallerLimits(8, 100, 200));
    assertThat(api.callerLimits().rateLimited()).isTrue();
    assertThat(api.callerLimits().uploadsLimited()).isTrue();
  }

  @Test
  void limitsAreSetOrTurnedOffWithZero() {
    ImageryConfig.CallerLimits set = ImageryConfig.fromEnv(Map.of("IMAGERY_CALLER_MAX_UPLOADS", "2",
        "IMAGERY_CALLER_REQUESTS_PER_SECOND", "5")).api().callerLimits();
    ImageryConfig.CallerLimits off = ImageryConfig.fromEnv(Map.of("IMAGERY_CALLER_MAX_UPLOADS", "0",
        "IMAGERY_CALLER_REQUESTS_PER_SECOND", "0", "IMAGERY_CALLER_REQUEST_BURST", "3")).api().callerLimits();

    assertThat(set).isEqualTo(new ImageryConfig.CallerLimits(2, 5, 10));
    assertThat(off.rateLimited()).isFalse();
    assertThat(off.uploadsLimited()).isFalse();
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_CALLER_REQUEST_BURST", "0")))
        .hasMessageContaining("IMAGERY_CALLER_REQUEST_BURST");
  }

  @Test
  void apiKeysAreCallerHashPairsAndACallerMayHaveSeveralForARotation() {
    ImageryConfig.Auth auth = auth(Map.of("IMAGERY_AUTH_MODE", "API-KEY",
        "IMAGERY_API_KEYS", " alice:" + H1 + " , bob:" + H2 + ",alice:" + H3 + ","));

    assertThat(auth.mode()).isEqualTo(AuthMode.API_KEY);
    assertThat(auth.apiKeys()).containsExactly(new ApiKey("alice", H1), new ApiKey("bob", H2.toLowerCase()),
        new ApiKey("alice", H3));
  }

  @Test
  void apiKeysComeFromAMountedFileOneALineWithComments(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("keys");
    Files.writeString(file, "# rotated 2026-01\nalice:" + H1 + "\n\nbob:" + H2 + "\r\n");

    ImageryConfig.Auth auth = auth(Map.of("IMAGERY_AUTH_MODE", "api-key", "IMAGERY_API_KEYS_FILE", file.toString()));

    assertThat(auth.apiKeys()).extracting(ApiKey::caller).containsExactly("alice", "bob");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key",
        "IMAGERY_API_KEYS_FILE", dir.resolve("missing").toString())))
        .hasMessageContaining("IMAGERY_API_KEYS_FILE").hasMessageContaining("cannot read");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key", "IMAGERY_API_KEYS_FILE", file.toString(),
        "IMAGERY_API_KEYS", "carol:" + H3)))
        .hasMessageContaining("both set");
    Path placeholder = dir.resolve("placeholder");
    Files.writeString(placeholder, "    # caller:sha256-hex-of-key, one a line (replace this comment)\n");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key",
        "IMAGERY_API_KEYS_FILE", placeholder.toString())))
        .as("the Kubernetes Secret as committed").hasMessageContaining("lists no key");
  }

  @Test
  void malformedKeysAreRefusedWithoutRepeatingTheSecretPart() {
    String rawKeyPastedByMistake = "s3cr3t-raw-key-value";
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key",
        "IMAGERY_API_KEYS", "alice:" + rawKeyPastedByMistake)))
        .hasMessageContaining("IMAGERY_API_KEYS").hasMessageContaining("entry 1").hasMessageContaining("alice")
        .hasMessageContaining("64 hex digits")
        .hasMessageNotContaining(rawKeyPastedByMistake);
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key", "IMAGERY_API_KEYS", H1)))
        .hasMessageContaining("caller:sha256-hex-of-key").hasMessageNotContaining(H1);
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key", "IMAGERY_API_KEYS", "a:b:" + H1)))
        .hasMessageContaining("exactly one ':'");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key", "IMAGERY_API_KEYS", "al ice:" + H1)))
        .hasMessageContaining("caller 'al ice'");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key",
        "IMAGERY_API_KEYS", "alice:" + H1 + ",bob:" + H1.toUpperCase())))
        .hasMessageContaining("entry 2").hasMessageContaining("repeats the key hash of caller 'alice'");
  }

  @Test
  void aModeWithoutItsSettingsOrSettingsWithoutTheirModeAreRefused() {
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key")))
        .hasMessageContaining("needs IMAGERY_API_KEYS");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key", "IMAGERY_API_KEYS", " , ")))
        .hasMessageContaining("needs IMAGERY_API_KEYS");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_API_KEYS", "alice:" + H1)))
        .as("keys given but authentication left off: the operator believes the API is protected")
        .hasMessageContaining("IMAGERY_AUTH_MODE is none");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "api-key", "IMAGERY_API_KEYS", "alice:" + H1,
        "IMAGERY_JWT_ISSUER", "https://issuer")))
        .hasMessageContaining("IMAGERY_JWT_ISSUER is set but IMAGERY_AUTH_MODE is api-key");
    assertThatThrownBy(() -> auth(Map.of("IMAGERY_AUTH_MODE", "basic")))
        .hasMessageContaining("IMAGERY_AUTH_MODE must be one of none, api-key, jwt");
  }

  @Test
  void jwtNeedsAJwksUrlAnIssuerAndAnAudience() {
    Map<String, String> good = Map.of("IMAGERY_AUTH_MODE", "jwt",
        "IMAGERY_JWT_JWKS_URL", "https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json",
        "IMAGERY_JWT_ISSUER", "https://cognito-idp.eu-west-1.amazonaws.com/pool",
        "IMAGERY_JWT_AUDIENCE", "app-client, other");

    ImageryConfig.Jwt jwt = auth(good).jwt().orElseThrow();

    assertThat(jwt.jwksUrl()).isEqualTo(URI.create(good.get("IMAGERY_JWT_JWKS_URL")));
    assertThat(jwt.issuer()).isEqualTo(good.get("IMAGERY_JWT_ISSUER"));
    assertThat(jwt.audiences()).isEqualTo(List.of("app-client", "other"));
    assertThat(jwt.jwksRefresh()).isEqualTo(Duration.ofMinutes(10));
    assertThat(jwt.leeway()).isEqualTo(Duration.ofSeconds(30));
    for (String missing : List.of("IMAGERY_JWT_JWKS_URL", "IMAGERY_JWT_ISSUER", "IMAGERY_JWT_AUDIENCE")) {
      Map<String, String> without = new java.util.HashMap<>(good);
      without.remove(missing);
      assertThatThrownBy(() -> auth(without)).hasMessageContaining("needs " + missing);
    }
  }

  @Test
  void theJwksMustComeOverHttpsExceptFromLoopback() {
    Map<String, String> env = new java.util.HashMap<>(Map.of("IMAGERY_AUTH_MODE", "jwt",
        "IMAGERY_JWT_ISSUER", "https://issuer", "IMAGERY_JWT_AUDIENCE", "imagery"));
    env.put("IMAGERY_JWT_JWKS_URL", "http://idp.example.com/jwks.json");
    assertThatThrownBy(() -> auth(env)).hasMessageContaining("must be https");
    env.put("IMAGERY_JWT_JWKS_URL", "http://127.0.0.1:8099/jwks.json");
    assertThat(auth(env).jwt()).isPresent();
  }
}
