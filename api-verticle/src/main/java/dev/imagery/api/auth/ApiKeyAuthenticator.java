package dev.imagery.api.auth;

import dev.imagery.shared.config.ImageryConfig.ApiKey;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code IMAGERY_AUTH_MODE=api-key}: the SHA-256 of the presented key against every configured hash. Only hashes are
 * configured, so neither the environment nor a mounted secret holds a usable key. Every hash is compared, in
 * constant time ({@link MessageDigest#isEqual}), whatever matched first: how long a refusal takes says nothing about
 * how close a guess came, nor which caller's hash it resembled.
 */
final class ApiKeyAuthenticator implements Authenticator {

  private record Entry(String callerId, byte[] sha256) {
  }

  private final List<Entry> entries;

  ApiKeyAuthenticator(List<ApiKey> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no API keys");
    }
    this.entries = keys.stream()
        .map(key -> new Entry("key:" + key.caller(), HexFormat.of().parseHex(key.sha256Hex())))
        .toList();
  }

  @Override
  public Future<String> callerId(String bearer) {
    byte[] presented = sha256(bearer);
    String found = null;
    for (Entry entry : entries) {
      // No early exit: each entry costs the same whether or not an earlier one matched.
      if (MessageDigest.isEqual(entry.sha256(), presented) & found == null) {
        found = entry.callerId();
      }
    }
    return found != null
        ? Future.succeededFuture(found)
        : Future.failedFuture(Unauthorized.invalid("the API key is not valid"));
  }

  static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
