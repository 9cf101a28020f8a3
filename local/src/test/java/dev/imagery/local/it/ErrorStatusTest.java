package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Every refusal is a JSON error with the right status, and leaves the image exactly as it was: same record, no
 * object left behind in S3.
 */
class ErrorStatusTest {

  private static final String UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;

  @Test
  void malformedIdsAre400() {
    assertError(api.get("/image/not-a-uuid"), 400, "INVALID_ID");
    assertError(api.send("PUT", "/image/42"), 400, "INVALID_ID");
    // A client-chosen id must be random: version 1 (time and MAC), 3/5 (name hashes) and the nil UUID are guessable.
    assertError(api.send("PUT", "/image/3f2b6c1e-8a4d-11ee-9f0e-2d7a5b1c9e48"), 400, "INVALID_ID");
    assertError(api.send("PUT", "/image/" + java.util.UUID.nameUUIDFromBytes(new byte[] {1})), 400, "INVALID_ID");
    assertError(api.send("PUT", "/image/00000000-0000-0000-0000-000000000000"), 400, "INVALID_ID");
    assertError(api.upload("12345", Images.resource("pillow/hopper.jpg")), 400, "INVALID_ID");
    assertError(api.get("/image/not-a-uuid/result"), 400, "INVALID_ID");
  }

  @Test
  void unknownIdsAre404() {
    assertError(api.get("/image/" + UNKNOWN_ID), 404, "NOT_FOUND");
    assertError(api.upload(UNKNOWN_ID, Images.resource("pillow/hopper.jpg")), 404, "NOT_FOUND");
    assertError(api.get("/image/" + UNKNOWN_ID + "/result"), 404, "NOT_FOUND");
    assertError(api.get("/no/such/route"), 404, "NOT_FOUND");
  }

  @Test
  void aResultBeforeProcessingIs404() {
    String id = api.createImage();

    assertError(api.get("/image/" + id + "/result"), 404, "NOT_FOUND");
    assertError(api.get("/image/" + id + "/original"), 404, "NOT_FOUND");
  }

  @Test
  void anUploadWithoutAFilePartIs400() {
    String id = api.createImage();
    ApiClient.Multipart body = new ApiClient.Multipart().field("comment", "no file here");

    ApiClient.Response response = api.send(HttpRequest.newBuilder(URI.create(api.base() + "/image/" + id + "/upload"))
        .header("Content-Type", body.contentType())
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())));

    assertError(response, 400, "MISSING_FILE");
    assertUntouched(id);
  }

  @Test
  void aFileInAnotherFieldIs400() {
    String id = api.createImage();

    assertError(api.upload(id, "picture", "hopper.jpg", Images.resource("pillow/hopper.jpg")), 400, "MISSING_FILE");
    assertUntouched(id);
  }

  @Test
  void aBodyThatIsNotMultipartIs400() {
    String id = api.createImage();

    ApiClient.Response response = api.send(HttpRequest.newBuilder(URI.create(api.base() + "/image/" + id + "/upload"))
        .header("Content-Type", "image/jpeg")
        .POST(HttpRequest.BodyPublishers.ofByteArray(Images.resource("pillow/hopper.jpg"))));

    assertError(response, 400, "NOT_MULTIPART");
    assertUntouched(id);
  }

  @Test
  void anEmptyFileIs400() {
    String id = api.createImage();

    assertError(api.upload(id, new byte[0]), 400, "EMPTY_FILE");
    assertUntouched(id);
  }

  @Test
  void aNonImageIs415WhateverItsNameSays() {
    String id = api.createImage();
    byte[] html = "<html><body>not a picture</body></html>".getBytes(StandardCharsets.UTF_8);

    assertError(api.upload(id, "file", "holiday.png", html), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertUntouched(id);
  }

  @Test
  void aFileShorterThanAnySignatureIs415() {
    String id = api.createImage();

    assertError(api.upload(id, new byte[] {(byte) 0xFF, (byte) 0xD8}), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertUntouched(id);
  }

  @Test
  void anUploadDeclaredOverTheLimitIs413BeforeAnyByteIsStored() {
    String id = api.createImage();
    byte[] big = jpegLooking((int) TestStack.MAX_UPLOAD_BYTES + 200_000);

    assertError(api.upload(id, big), 413, "PAYLOAD_TOO_LARGE");
    assertUntouched(id);
  }

  @Test
  void aStreamedUploadThatGrowsOverTheLimitIs413AndLeavesNoObject() {
    String id = api.createImage();
    long size = TestStack.MAX_UPLOAD_BYTES + 3 * 1024 * 1024;

    ApiClient.Response response = api.uploadChunked(id, () -> jpegLookingStream(size));

    assertError(response, 413, "PAYLOAD_TOO_LARGE");
    assertUntouched(id);
  }

  @Test
  void uploadingNewBytesToAProcessedImageIs409AndKeepsTheResult() {
    String id = api.createImage();
    assertThat(api.upload(id, Images.resource("pillow/hopper.jpg")).status()).isEqualTo(202);
    JsonObject processed = api.awaitState(id, "processed");

    assertError(api.upload(id, Images.resource("pngsuite/basn2c08.png")), 409, "CONFLICT");

    JsonObject after = api.get("/image/" + id).json();
    assertThat(after).isEqualTo(processed);
    assertThat(objectKeys("raw/" + id + "/")).hasSize(1);
  }

  @Test
  void aMethodTheRouteDoesNotTakeIsAJsonError() {
    ApiClient.Response response = api.send("DELETE", "/image/" + UNKNOWN_ID);

    assertThat(response.status()).isIn(404, 405);
    assertThat(response.json().getString("error")).isNotBlank();
  }

  static void assertError(ApiClient.Response response, int status, String code) {
    assertThat(response.status()).as(response.toString()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/json"));
    JsonObject body = response.json();
    assertThat(body.getString("error")).isEqualTo(code);
    assertThat(body.getString("message")).isNotBlank().doesNotContain("Exception");
  }

  /** Still the freshly created record, and nothing under its keys in S3. */
  void assertUntouched(String id) {
    JsonObject record = api.get("/image/" + id).json();
    assertThat(record.getString("state")).isEqualTo("created");
    assertThat(record.getLong("version")).isZero();
    assertThat(objectKeys("raw/" + id + "/")).isEmpty();
  }

  List<String> objectKeys(String prefix) {
    return stack.imagery.aws().s3().listObjectsV2(ListObjectsV2Request.builder()
            .bucket(stack.bucket()).prefix(prefix).build())
        .join()
        .contents().stream().map(S3Object::key).toList();
  }

  static byte[] jpegLooking(int size) {
    byte[] bytes = new byte[size];
    new Random(7).nextBytes(bytes);
    bytes[0] = (byte) 0xFF;
    bytes[1] = (byte) 0xD8;
    bytes[2] = (byte) 0xFF;
    return bytes;
  }

  /** A JPEG signature followed by {@code size} pseudo-random bytes, generated as read (never held whole). */
  static InputStream jpegLookingStream(long size) {
    return new InputStream() {
      private final Random random = new Random(11);
      private long position;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) {
        if (position >= size) {
          return -1;
        }
        int n = (int) Math.min(length, size - position);
        byte[] chunk = new byte[n];
        random.nextBytes(chunk);
        for (int i = 0; i < n && position + i < 3; i++) {
          chunk[i] = (byte) (position + i == 1 ? 0xD8 : 0xFF);
        }
        System.arraycopy(chunk, 0, buffer, offset, n);
        position += n;
        return n;
      }
    };
  }
}
