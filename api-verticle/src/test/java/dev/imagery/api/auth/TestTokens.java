package dev.imagery.api.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** An issuer's signing key made in the test, its JWK, and JWTs signed by hand so that each test controls every byte. */
final class TestTokens {

  static final String ISSUER = "https://issuer.test/pool";
  static final String AUDIENCE = "imagery";

  final String kid;
  final KeyPair keys;

  TestTokens(String kid) {
    this.kid = kid;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      this.keys = generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public half as a JWK, as an issuer publishes it. */
  JsonObject jwk() {
    RSAPublicKey pub = (RSAPublicKey) keys.getPublic();
    return new JsonObject().put("kty", "RSA").put("kid", kid).put("use", "sig").put("alg", "RS256")
        .put("n", b64(unsigned(pub.getModulus()))).put("e", b64(unsigned(pub.getPublicExponent())));
  }

  static JsonObject jwks(TestTokens... issuers) {
    JsonArray keys = new JsonArray();
    for (TestTokens issuer : issuers) {
      keys.add(issuer.jwk());
    }
    return new JsonObject().put("keys", keys);
  }

  /** Claims of a good token for {@code sub}, valid for five minutes. */
  static JsonObject claims(String sub) {
    long now = Instant.now().getEpochSecond();
    return new JsonObject().put("iss", ISSUER).put("aud", AUDIENCE).put("sub", sub).put("iat", now)
        .put("exp", now + 300);
  }

  String sign(JsonObject claims) {
    return sign(new JsonObject().put("alg", "RS256").put("typ", "JWT").put("kid", kid), claims);
  }

  String sign(JsonObject header, JsonObject claims) {
    String input = segment(header) + "." + segment(claims);
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(keys.getPrivate());
      rsa.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(rsa.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** HS256 keyed with this issuer's public key: the algorithm-confusion attack on naive verifiers. */
  String hmacWithPublicKey(JsonObject claims) {
    String input = segment(new JsonObject().put("alg", "HS256").put("typ", "JWT").put("kid", kid)) + "."
        + segment(claims);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(keys.getPublic().getEncoded(), "HmacSHA256"));
      return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An unsigned token ({@code alg: none}), with or without the empty third segment. */
  static String unsigned(JsonObject claims, boolean trailingDot) {
    String token = segment(new JsonObject().put("alg", "none").put("typ", "JWT")) + "." + segment(claims);
    return trailingDot ? token + "." : token;
  }

  static String segment(JsonObject json) {
    return b64(json.encode().getBytes(StandardCharsets.UTF_8));
  }

  private static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }
}
