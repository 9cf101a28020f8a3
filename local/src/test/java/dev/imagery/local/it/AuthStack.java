package dev.imagery.local.it;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.local.testing.ApiClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * A second Imagery (API + worker) with {@code IMAGERY_AUTH_MODE=api-key}, on the shared emulators but with a table,
 * queues and bucket of its own, for the tests of callers, ownership and per-caller limits. Keys are made as the
 * README says (32 random bytes, hex) and only their SHA-256 is configured. alice has two keys (a rotation in
 * progress); carol is the caller the limit tests exhaust, so that the others are not slowed by it.
 */
final class AuthStack {

  /** Small enough for carol to reach within a test, large enough that the others never do. */
  static final int REQUESTS_PER_SECOND = 20;
  static final int BURST = 40;
  static final int MAX_UPLOADS = 2;

  private static AuthStack instance;

  final ImageryStack imagery;
  final ApiClient anonymous;
  final ApiClient alice;
  final ApiClient aliceRotated;
  final ApiClient bob;
  final ApiClient carol;
  /** Alice's older key itself, for tests that send it where no key belongs. */
  final String aliceKey;

  private AuthStack(ImageryStack imagery, Map<String, String> keys) {
    this.imagery = imagery;
    this.anonymous = new ApiClient("http://127.0.0.1:" + imagery.apiPort());
    this.alice = anonymous.withBearer(keys.get("alice-old"));
    this.aliceRotated = anonymous.withBearer(keys.get("alice-new"));
    this.bob = anonymous.withBearer(keys.get("bob"));
    this.carol = anonymous.withBearer(keys.get("carol"));
    this.aliceKey = keys.get("alice-old");
  }

  static synchronized AuthStack get() {
    if (instance == null) {
      Map<String, String> keys = new HashMap<>();
      for (String name : new String[] {"alice-old", "alice-new", "bob", "carol"}) {
        keys.put(name, newKey());
      }
      String configured = String.join(",",
          "alice:" + sha256(keys.get("alice-old")),
          "bob:" + sha256(keys.get("bob")),
          "carol:" + sha256(keys.get("carol")),
          "alice:" + sha256(keys.get("alice-new")));
      Map<String, String> env = new HashMap<>(Map.of(
          "PORT", "0",
          "IMAGERY_TABLE", "imagery-auth-images",
          "IMAGERY_QUEUE", "imagery-auth-jobs",
          "IMAGERY_DEAD_LETTER_QUEUE", "imagery-auth-jobs-dlq",
          "IMAGERY_BUCKET", "imagery-auth-images",
          "IMAGERY_RECONCILE_AFTER_SECONDS", "0",
          "IMAGERY_AUTH_MODE", "api-key",
          "IMAGERY_API_KEYS", configured));
      // Its table is created while the other tests run: DynamoDB Local can take longer than the production 3 s a try.
      env.put("IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS", "10000");
      env.put("IMAGERY_DYNAMODB_CALL_TIMEOUT_MS", "30000");
      env.put("IMAGERY_CALLER_REQUESTS_PER_SECOND", Integer.toString(REQUESTS_PER_SECOND));
      env.put("IMAGERY_CALLER_REQUEST_BURST", Integer.toString(BURST));
      env.put("IMAGERY_CALLER_MAX_UPLOADS", Integer.toString(MAX_UPLOADS));
      ImageryStack imagery = ImageryStack.start(TestStack.get().servers, RecordedCalls.env(), env);
      instance = new AuthStack(imagery, keys);
      Runtime.getRuntime().addShutdownHook(new Thread(imagery::close, "auth-stack-shutdown"));
    }
    return instance;
  }

  /** {@code openssl rand -hex 32}. */
  static String newKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return HexFormat.of().formatHex(key);
  }

  /** {@code printf %s "$KEY" | sha256sum}. */
  static String sha256(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
