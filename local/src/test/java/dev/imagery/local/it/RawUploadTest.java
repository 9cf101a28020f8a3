package dev.imagery.local.it;

import static dev.imagery.local.it.ErrorStatusTest.assertError;
import static dev.imagery.local.it.ErrorStatusTest.jpegLooking;
import static dev.imagery.local.it.ErrorStatusTest.jpegLookingStream;
import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code PUT /image/{id}/upload}: the image itself as the request body, declared by its Content-Type. The same
 * outcomes as the multipart route (ImageFlowTest, ErrorStatusTest), and a Content-Type that must name a processable
 * format and agree with the bytes.
 */
class RawUploadTest {

  private static final String UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;

  @Test
  void aJpegSentAsTheBodyIsStoredAsSentAndProcessed() throws Exception {
    byte[] photo = Images.resource("exif-orientation-examples/Landscape_0.jpg");
    String id = api.createImage();

    ApiClient.Response accepted = api.uploadRaw(id, "image/jpeg", photo);

    assertThat(accepted.status()).as(accepted.toString()).isEqualTo(202);
    JsonObject original = accepted.json().getJsonObject("original");
    assertThat(accepted.json().getString("state")).isEqualTo("uploaded");
    assertThat(original.getLong("size")).isEqualTo(photo.length);
    assertThat(original.getString("contentType")).isEqualTo("image/jpeg");
    assertThat(original.getString("sha256")).isEqualTo(sha256(photo));
    JsonObject done = api.awaitFinal(id);
    assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");
    assertThat(done.getJsonObject("result").getInteger("width")).isEqualTo(1800);
    assertThat(api.bytes(original.getString("url"))).isEqualTo(photo);
  }

  @Test
  void aPngOfUnknownLengthSentChunkedIsProcessed() {
    byte[] png = Images.resource("pngsuite/basn2c08.png");
    String id = api.createImage();

    ApiClient.Response accepted = api.uploadRawChunked(id, "image/png; charset=binary",
        () -> new ByteArrayInputStream(png));

    assertThat(accepted.status()).as(accepted.toString()).isEqualTo(202);
    assertThat(accepted.json().getJsonObject("original").getLong("size")).isEqualTo(png.length);
    JsonObject done = api.awaitFinal(id);
    assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");
    assertThat(done.getJsonObject("result").getString("contentType")).isEqualTo("image/png");
  }

  @Test
  void theSameBytesSentAgainGiveTheSameRecordAndStoreNothingNew() {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String id = api.createImage();
    JsonObject first = api.uploadRaw(id, "image/jpeg", photo).json();

    ApiClient.Response again = api.uploadRaw(id, "image/jpeg", photo);

    assertThat(again.status()).isEqualTo(202);
    assertThat(again.json().getJsonObject("original")).isEqualTo(first.getJsonObject("original"));
    assertThat(objectKeys("raw/" + id + "/")).hasSize(1);
  }

  @Test
  void aMultipartBodyIs415AndPointsToThePostRoute() {
    String id = api.createImage();
    ApiClient.Multipart body = new ApiClient.Multipart().file("file", "hopper.jpg",
        Images.resource("pillow/hopper.jpg"));

    ApiClient.Response response = api.uploadRaw(id, body.contentType(), body.bytes());

    assertError(response, 415, "UNSUPPORTED_MEDIA_TYPE");
    assertThat(response.json().getString("message")).contains("POST /image/{id}/upload");
    assertUntouched(id);
  }

  @Test
  void aContentTypeThatIsNoProcessableImageIs415BeforeAnythingIsRead() {
    String id = api.createImage();
    byte[] photo = Images.resource("pillow/hopper.jpg");

    for (String type : new String[] {"application/octet-stream", "text/plain", "image/webp", "image/svg+xml"}) {
      ApiClient.Response response = api.uploadRaw(id, type, photo);
      assertError(response, 415, "UNSUPPORTED_MEDIA_TYPE");
      assertThat(response.json().getString("message")).as(type).contains("image/jpeg, image/png");
    }
    assertError(api.uploadRaw(id, null, photo), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertUntouched(id);
  }

  @Test
  void bytesThatAreNotTheDeclaredFormatAre415AndNothingIsStored() {
    String id = api.createImage();

    ApiClient.Response mismatch = api.uploadRaw(id, "image/png", Images.resource("pillow/hopper.jpg"));
    ApiClient.Response notAnImage = api.uploadRaw(id, "image/jpeg",
        "<html><body>not a picture</body></html>".getBytes(StandardCharsets.UTF_8));

    assertError(mismatch, 415, "CONTENT_TYPE_MISMATCH");
    assertThat(mismatch.json().getString("message")).contains("image/png", "JPEG");
    assertError(notAnImage, 415, "UNSUPPORTED_MEDIA_TYPE");
    assertUntouched(id);
  }

  @Test
  void anEmptyBodyIs400() {
    String id = api.createImage();

    assertError(api.uploadRaw(id, "image/jpeg", new byte[0]), 400, "EMPTY_FILE");
    assertUntouched(id);
  }

  @Test
  void aBodyDeclaredOverTheLimitIs413BeforeAnyByteIsStored() {
    String id = api.createImage();

    ApiClient.Response response = api.uploadRaw(id, "image/jpeg", jpegLooking((int) TestStack.MAX_UPLOAD_BYTES + 1));

    assertError(response, 413, "PAYLOAD_TOO_LARGE");
    assertUntouched(id);
  }

  @Test
  void aBodyOfExactlyTheLimitIsAccepted() {
    String id = api.createImage();
    byte[] body = jpegLooking((int) TestStack.MAX_UPLOAD_BYTES);

    ApiClient.Response response = api.uploadRaw(id, "image/jpeg", body);

    assertThat(response.status()).as(response.toString()).isEqualTo(202);
    assertThat(response.json().getJsonObject("original").getLong("size")).isEqualTo(body.length);
    assertThat(response.json().getJsonObject("original").getString("sha256")).isEqualTo(sha256(body));
  }

  @Test
  void aStreamedBodyThatGrowsOverTheLimitIs413AndLeavesNoObject() {
    String id = api.createImage();
    long size = TestStack.MAX_UPLOAD_BYTES + 3 * 1024 * 1024;

    ApiClient.Response response = api.uploadRawChunked(id, "image/jpeg", () -> jpegLookingStream(size));

    assertError(response, 413, "PAYLOAD_TOO_LARGE");
    assertUntouched(id);
  }

  @Test
  void anUnknownImageIs404AndAMalformedIdIs400() {
    byte[] photo = Images.resource("pillow/hopper.jpg");

    assertError(api.uploadRaw(UNKNOWN_ID, "image/jpeg", photo), 404, "NOT_FOUND");
    assertError(api.uploadRaw("not-a-uuid", "image/jpeg", photo), 400, "INVALID_ID");
    assertThat(objectKeys("raw/" + UNKNOWN_ID + "/")).isEmpty();
  }

  @Test
  void aClientThatAsksBeforeSendingTheBodyGetsTheGoAheadOrAnEarlyAnswer() {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String id = api.createImage();

    ApiClient.Response accepted = api.send(HttpRequest.newBuilder(URI.create(api.base() + "/image/" + id + "/upload"))
        .expectContinue(true)
        .header("Content-Type", "image/jpeg")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(photo)));
    // The JDK 17 client hangs on a final answer to Expect (JDK-8286171): ask over a plain socket, headers only.
    String refused = api.statusLineOfHeadersOnly("PUT", "/image/" + UNKNOWN_ID + "/upload",
        "Content-Type: image/jpeg", "Content-Length: 100000", "Expect: 100-continue");
    String tooLarge = api.statusLineOfHeadersOnly("PUT", "/image/" + id + "/upload",
        "Content-Type: image/jpeg", "Content-Length: " + (TestStack.MAX_UPLOAD_BYTES + 1), "Expect: 100-continue");

    assertThat(accepted.status()).as(accepted.toString()).isEqualTo(202);
    assertThat(refused).as("refused before the body was sent").startsWith("HTTP/1.1 404");
    assertThat(tooLarge).as("refused before the body was sent").startsWith("HTTP/1.1 413");
  }

  /** Still the freshly created record, and nothing under its keys in S3. */
  private void assertUntouched(String id) {
    JsonObject record = api.get("/image/" + id).json();
    assertThat(record.getString("state")).isEqualTo("created");
    assertThat(record.getLong("version")).isZero();
    assertThat(objectKeys("raw/" + id + "/")).isEmpty();
  }

  private List<String> objectKeys(String prefix) {
    return stack.imagery.aws().s3().listObjectsV2(ListObjectsV2Request.builder()
            .bucket(stack.bucket()).prefix(prefix).build())
        .join()
        .contents().stream().map(S3Object::key).toList();
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
