package dev.imagery.shared.config;

import dev.imagery.shared.config.ImageryConfig.ApiKey;
import dev.imagery.shared.config.ImageryConfig.Auth;
import dev.imagery.shared.config.ImageryConfig.AuthMode;
import dev.imagery.shared.config.ImageryConfig.CallerLimits;
import dev.imagery.shared.config.ImageryConfig.Jwt;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the authentication and per-caller limit settings. A setting that does not fit the mode (API keys in mode
 * {@code none}, a JWT issuer in mode {@code api-key}) is refused rather than ignored: it means the operator believes
 * something is protected that is not. Messages never repeat a key entry's hash part: a raw key pasted there by
 * mistake must not end up in the logs.
 */
final class AuthEnv {

  /** A caller's name in IMAGERY_API_KEYS: what logs show and what owns its images (as {@code key:NAME}). */
  private static final Pattern CALLER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

  private AuthEnv() {
  }

  static Auth auth(Env env) {
    AuthMode mode = env.optional("IMAGERY_AUTH_MODE").map(raw -> AuthMode.parse("IMAGERY_AUTH_MODE", raw))
        .orElse(AuthMode.NONE);
    List<ApiKey> keys = apiKeys(env);
    List<String> jwtVariables = Arrays.asList("IMAGERY_JWT_JWKS_URL", "IMAGERY_JWT_ISSUER", "IMAGERY_JWT_AUDIENCE",
        "IMAGERY_JWT_JWKS_REFRESH_SECONDS", "IMAGERY_JWT_LEEWAY_SECONDS");
    if (mode != AuthMode.API_KEY && !keys.isEmpty()) {
      throw new IllegalArgumentException("IMAGERY_API_KEYS (or IMAGERY_API_KEYS_FILE) is set but IMAGERY_AUTH_MODE is "
          + mode.wireName() + ": set IMAGERY_AUTH_MODE=api-key, or remove the keys");
    }
    if (mode != AuthMode.JWT) {
      jwtVariables.stream().filter(name -> env.optional(name).isPresent()).findFirst().ifPresent(name -> {
        throw new IllegalArgumentException(name + " is set but IMAGERY_AUTH_MODE is " + mode.wireName()
            + ": set IMAGERY_AUTH_MODE=jwt, or remove the IMAGERY_JWT_* settings");
      });
    }
    return switch (mode) {
      case NONE -> new Auth(mode, List.of(), Optional.empty());
      case API_KEY -> {
        if (keys.isEmpty() && env.optional("IMAGERY_API_KEYS_FILE").isPresent()) {
          throw new IllegalArgumentException("IMAGERY_API_KEYS_FILE (" + env.optional("IMAGERY_API_KEYS_FILE").get()
              + ") lists no key: IMAGERY_AUTH_MODE=api-key needs at least one caller:sha256-hex-of-key line");
        }
        if (keys.isEmpty()) {
          throw new IllegalArgumentException("IMAGERY_AUTH_MODE=api-key needs IMAGERY_API_KEYS or IMAGERY_API_KEYS_FILE:"
              + " caller:sha256-hex-of-key pairs separated by commas (README, \"Callers and ownership\")");
        }
        yield new Auth(mode, keys, Optional.empty());
      }
      case JWT -> new Auth(mode, List.of(), Optional.of(jwt(env)));
    };
  }

  static CallerLimits callerLimits(Env env) {
    int rate = env.integer("IMAGERY_CALLER_REQUESTS_PER_SECOND", 100, 0, 1_000_000);
    return new CallerLimits(
        env.integer("IMAGERY_CALLER_MAX_UPLOADS", 8, 0, 100_000),
        rate,
        env.integer("IMAGERY_CALLER_REQUEST_BURST", Math.max(1, 2 * rate), 1, 2_000_000));
  }

  private static List<ApiKey> apiKeys(Env env) {
    Optional<String> inline = env.optional("IMAGERY_API_KEYS");
    Optional<String> file = env.optional("IMAGERY_API_KEYS_FILE");
    if (inline.isPresent() && file.isPresent()) {
      throw new IllegalArgumentException("IMAGERY_API_KEYS and IMAGERY_API_KEYS_FILE are both set: use one");
    }
    if (file.isPresent()) {
      return parseKeys("IMAGERY_API_KEYS_FILE (" + file.get() + ")", read(file.get()));
    }
    return inline.map(value -> parseKeys("IMAGERY_API_KEYS", value)).orElse(List.of());
  }

  private static String read(String path) {
    try {
      return Files.readString(Path.of(path), StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("IMAGERY_API_KEYS_FILE: cannot read " + path + ": " + e);
    }
  }

  /**
   * {@code caller:sha256hex} entries separated by commas or line breaks (a mounted secret may hold one a line);
   * blank entries and lines starting with {@code #} are skipped. One caller may have several hashes (a
   * rotation); one hash may not name two callers.
   */
  static List<ApiKey> parseKeys(String source, String value) {
    List<ApiKey> keys = new ArrayList<>();
    Map<String, String> callerOfHash = new HashMap<>();
    int position = 0;
    List<String> entries = value.lines()
        .filter(line -> !line.trim().startsWith("#")) // a comment is a whole line (it may hold commas)
        .flatMap(line -> Arrays.stream(line.split(",")))
        .map(String::trim)
        .filter(entry -> !entry.isEmpty())
        .toList();
    for (String entry : entries) {
      position++;
      int colon = entry.indexOf(':');
      if (colon < 0 || colon != entry.lastIndexOf(':')) {
        throw new IllegalArgumentException(source + ": entry " + position + " is not caller:sha256-hex-of-key"
            + " (exactly one ':')");
      }
      String caller = entry.substring(0, colon).trim();
      String hash = entry.substring(colon + 1).trim();
      if (!CALLER.matcher(caller).matches()) {
        throw new IllegalArgumentException(source + ": entry " + position + ": the caller '" + caller
            + "' must be 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit");
      }
      if (!SHA256_HEX.matcher(hash).matches()) {
        // Never echo it: it may be a raw key pasted in place of its hash.
        throw new IllegalArgumentException(source + ": entry " + position + " (caller '" + caller
            + "'): after the ':' comes the SHA-256 of the key as 64 hex digits, got " + hash.length()
            + " characters; make it with: printf %s \"$KEY\" | sha256sum");
      }
      String normalised = hash.toLowerCase(Locale.ROOT);
      String earlier = callerOfHash.putIfAbsent(normalised, caller);
      if (earlier != null) {
        throw new IllegalArgumentException(source + ": entry " + position + " (caller '" + caller
            + "') repeats the key hash of caller '" + earlier + "': each key belongs to one caller, once");
      }
      keys.add(new ApiKey(caller, normalised));
    }
    return keys;
  }

  private static Jwt jwt(Env env) {
    URI jwks = env.uri("IMAGERY_JWT_JWKS_URL").orElseThrow(() -> new IllegalArgumentException(
        "IMAGERY_AUTH_MODE=jwt needs IMAGERY_JWT_JWKS_URL, the issuer's JWKS (e.g."
            + " https://cognito-idp.REGION.amazonaws.com/POOL_ID/.well-known/jwks.json)"));
    boolean loopback = LOOPBACK.contains(jwks.getHost().toLowerCase(Locale.ROOT));
    if (!"https".equalsIgnoreCase(jwks.getScheme()) && !(loopback && "http".equalsIgnoreCase(jwks.getScheme()))) {
      // Whoever can change the keys in transit can sign tokens for any caller.
      throw new IllegalArgumentException("IMAGERY_JWT_JWKS_URL must be https (plain http only on a loopback address),"
          + " got '" + jwks + "'");
    }
    String issuer = env.optional("IMAGERY_JWT_ISSUER").orElseThrow(() -> new IllegalArgumentException(
        "IMAGERY_AUTH_MODE=jwt needs IMAGERY_JWT_ISSUER, the exact iss claim of the tokens"));
    List<String> audiences = env.optional("IMAGERY_JWT_AUDIENCE").stream()
        .flatMap(value -> Arrays.stream(value.split(",")))
        .map(String::trim)
        .filter(audience -> !audience.isEmpty())
        .toList();
    if (audiences.isEmpty()) {
      throw new IllegalArgumentException("IMAGERY_AUTH_MODE=jwt needs IMAGERY_JWT_AUDIENCE, the audience (aud, or"
          + " client_id for tokens without aud) the tokens must be for; several separated by commas");
    }
    return new Jwt(jwks, issuer, audiences,
        Duration.ofSeconds(env.integer("IMAGERY_JWT_JWKS_REFRESH_SECONDS", 600, 60, 86_400)),
        Duration.ofSeconds(env.integer("IMAGERY_JWT_LEEWAY_SECONDS", 30, 0, 300)));
  }
}
