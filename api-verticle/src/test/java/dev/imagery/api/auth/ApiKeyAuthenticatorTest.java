package dev.imagery.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.api.http.ApiException;
import dev.imagery.shared.config.ImageryConfig.ApiKey;
import io.vertx.core.Future;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApiKeyAuthenticatorTest {

  static String hash(String key) {
    return HexFormat.of().formatHex(ApiKeyAuthenticator.sha256(key));
  }

  private final ApiKeyAuthenticator keys = new ApiKeyAuthenticator(List.of(
      new ApiKey("alice", hash("alice-old-key")),
      new ApiKey("bob", hash("bob-key")),
      new ApiKey("alice", hash("alice-new-key"))));

  @Test
  void aKeyNamesItsCallerAndBothKeysOfARotationWork() {
    assertThat(keys.callerId("alice-old-key").result()).isEqualTo("key:alice");
    assertThat(keys.callerId("alice-new-key").result()).isEqualTo("key:alice");
    assertThat(keys.callerId("bob-key").result()).isEqualTo("key:bob");
  }

  @Test
  void anythingElseIsA401() {
    for (String wrong : List.of("alice", "bob-key ", "BOB-KEY", hash("bob-key"), "bob-key\u0000")) {
      Future<String> refused = keys.callerId(wrong);
      assertThat(refused.failed()).as(wrong).isTrue();
      assertThat(((ApiException) refused.cause()).status()).isEqualTo(401);
      assertThat(refused.cause()).hasMessage("the API key is not valid");
    }
  }

  @Test
  void theHashIsSha256OfTheKeysUtf8Bytes() {
    // printf %s abc | sha256sum
    assertThat(hash("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}
