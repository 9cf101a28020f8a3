package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.worker.image.SepiaFilter;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** The product path: create, upload, the worker's sepia result, served back through the API. */
class ImageFlowTest {

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;

  @Test
  void aJpegPhotoComesBackSepiaAsJpeg() {
    byte[] photo = Images.resource("exif-orientation-examples/Landscape_0.jpg");
    String id = api.createImage();

    ApiClient.Response accepted = api.upload(id, photo);

    assertThat(accepted.status()).as(accepted.toString()).isEqualTo(202);
    assertThat(accepted.json().getString("state")).isEqualTo("uploaded");
    assertThat(accepted.json().getJsonObject("original").getLong("size")).isEqualTo(photo.length);
    JsonObject done = api.awaitFinal(id);
    assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");
    JsonObject result = done.getJsonObject("result");
    assertThat(result.getString("contentType")).isEqualTo("image/jpeg");
    assertThat(result.getInteger("width")).isEqualTo(1800);
    assertThat(result.getInteger("height")).isEqualTo(1200);

    BufferedImage input = Images.decode(photo);
    BufferedImage output = Images.decode(api.bytes(result.getString("url")));
    assertThat(output.getWidth()).isEqualTo(input.getWidth());
    assertThat(output.getHeight()).isEqualTo(input.getHeight());
    // JPEG is lossy twice over: compare with the filter's own output, allowing for re-encoding.
    assertThat(meanAbsoluteError(expectedSepia(input), output)).isLessThan(4.0);
    assertThat(sepiaToned(output)).isGreaterThan(0.97);

    BufferedImage thumbnail = Images.decode(api.bytes(result.getString("thumbnailUrl")));
    assertThat(Math.max(thumbnail.getWidth(), thumbnail.getHeight())).isEqualTo(256);
    assertThat(api.bytes(done.getJsonObject("original").getString("url"))).isEqualTo(photo);
  }

  @Test
  void aPngComesBackAsPngWithExactlyTheFiltersPixels() {
    byte[] png = Images.resource("pngsuite/basn2c08.png");
    String id = api.createImage();

    assertThat(api.upload(id, "file", "graphic.png", png).status()).isEqualTo(202);
    JsonObject done = api.awaitFinal(id);

    assertThat(done.getString("state")).as(done.encode()).isEqualTo("processed");
    JsonObject result = done.getJsonObject("result");
    assertThat(result.getString("contentType")).isEqualTo("image/png");
    ApiClient.Response served = api.get(result.getString("url"));
    assertThat(served.headers().firstValue("Content-Type")).contains("image/png");
    BufferedImage output = Images.decode(api.bytes(result.getString("url")));
    BufferedImage expected = expectedSepia(Images.decode(png));
    assertThat(meanAbsoluteError(expected, output)).as("lossless: every pixel is the filter's").isZero();
  }

  @Test
  void theOriginalIsStoredWithTheContentTypeOfItsBytesNotTheClientsClaim() {
    byte[] png = Images.resource("pngsuite/basn6a08.png");
    String id = api.createImage();

    // The multipart part claims application/octet-stream and a .jpg name.
    ApiClient.Response accepted = api.upload(id, "file", "lies.jpg", png);

    assertThat(accepted.json().getJsonObject("original").getString("contentType")).isEqualTo("image/png");
    ApiClient.Response original = api.get("/image/" + id + "/original");
    assertThat(original.headers().firstValue("Content-Type")).contains("image/png");
  }

  @Test
  void aClientThatAsksBeforeSendingTheBodyGetsTheGoAheadOrAnEarlyAnswer() {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String id = api.createImage();

    // Expect: 100-continue. Without an interim 100 from the server the client would never send the body.
    ApiClient.Response accepted = api.uploadExpectingContinue(id, photo);
    // The JDK 17 client hangs on a final answer to Expect (JDK-8286171): ask over a plain socket, headers only.
    String refused = api.statusLineOfHeadersOnly("POST", "/image/00000000-0000-4000-8000-000000000001/upload",
        "Content-Type: multipart/form-data; boundary=x", "Content-Length: 100000", "Expect: 100-continue");

    assertThat(accepted.status()).as(accepted.toString()).isEqualTo(202);
    assertThat(refused).as("refused before the body was sent").startsWith("HTTP/1.1 404");
  }


  static BufferedImage expectedSepia(BufferedImage input) {
    BufferedImage bgr = new BufferedImage(input.getWidth(), input.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
    bgr.getGraphics().drawImage(input, 0, 0, null);
    SepiaFilter.applyInPlace(bgr);
    return bgr;
  }

  static double meanAbsoluteError(BufferedImage expected, BufferedImage actual) {
    long sum = 0;
    for (int y = 0; y < expected.getHeight(); y++) {
      for (int x = 0; x < expected.getWidth(); x++) {
        int e = expected.getRGB(x, y);
        int a = actual.getRGB(x, y);
        for (int shift = 0; shift <= 16; shift += 8) {
          sum += Math.abs(((e >> shift) & 0xFF) - ((a >> shift) & 0xFF));
        }
      }
    }
    return sum / (3.0 * expected.getWidth() * expected.getHeight());
  }

  /** Share of pixels whose channels are ordered like sepia's (red >= green >= blue, within JPEG noise). */
  static double sepiaToned(BufferedImage image) {
    long toned = 0;
    long total = 0;
    for (int y = 0; y < image.getHeight(); y += 7) {
      for (int x = 0; x < image.getWidth(); x += 7) {
        int rgb = image.getRGB(x, y);
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        if (r + 3 >= g && g + 3 >= b) {
          toned++;
        }
        total++;
      }
    }
    return (double) toned / total;
  }
}
