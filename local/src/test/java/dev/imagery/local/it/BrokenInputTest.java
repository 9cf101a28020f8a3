package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Files that look like images but are not end {@code failed} with a reason, in one receive, with nothing lost. */
class BrokenInputTest {

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;
  private final Backend backend = new Backend(stack);

  @Test
  void aTruncatedJpegFailsWithAReasonInsteadOfComingBackGrey() {
    String id = api.createImage();

    assertThat(api.upload(id, Images.resource("pillow/truncated_jpeg.jpg")).status()).isEqualTo(202);
    JsonObject failed = api.awaitFinal(id);

    assertThat(failed.getString("state")).as(failed.encode()).isEqualTo("failed");
    assertThat(failed.getString("failureReason")).isNotBlank();
    assertThat(failed.containsKey("result")).isFalse();
    assertThat(failed.getLong("version")).as("failed on the first receive").isEqualTo(2);
    assertThat(backend.keys("processed/" + id + "/")).isEmpty();
  }

  @Test
  void aLargeUploadStreamsThroughSeveralS3PartsIntactAndFailsAsNotAnImage() throws Exception {
    // Over three 5 MiB parts, so the multipart path and its buffer bound are exercised.
    byte[] big = ErrorStatusTest.jpegLooking(17 * 1024 * 1024 + 123);
    String id = api.createImage();

    ApiClient.Response accepted = api.upload(id, big);

    assertThat(accepted.status()).as(accepted.toString()).isEqualTo(202);
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(big));
    assertThat(accepted.json().getJsonObject("original").getString("sha256")).isEqualTo(sha256);
    assertThat(api.bytes("/image/" + id + "/original")).isEqualTo(big);
    JsonObject failed = api.awaitFinal(id);
    assertThat(failed.getString("state")).isEqualTo("failed");
    assertThat(failed.getString("failureReason")).isNotBlank();
  }

  @Test
  void theWorkerKeepsServingAfterBrokenInput() {
    String broken = api.createImage();
    api.upload(broken, Images.resource("pillow/truncated_jpeg.jpg"));
    String good = api.createImage();
    api.upload(good, Images.resource("pillow/hopper.jpg"));

    assertThat(api.awaitFinal(broken).getString("state")).isEqualTo("failed");
    assertThat(api.awaitFinal(good).getString("state")).isEqualTo("processed");
    assertThat(backend.deadLetters()).isZero();
  }

}
