package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import org.junit.jupiter.api.Test;

/**
 * The long poll {@code GET /image/{id}?waitFor=STATE&timeout=S}: one request after the upload returns the record
 * once it is processed; a wait that times out returns the record as it is; a failed image ends a wait for
 * processed at once; bad parameters are 400s with a JSON error, an unknown id a 404.
 */
class WaitForStateTest {

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;

  @Test
  void oneRequestAfterTheUploadReturnsTheProcessedRecord() {
    String id = api.createImage();
    assertThat(api.upload(id, Images.resource("pillow/hopper.jpg")).status()).isEqualTo(202);

    ApiClient.Response waited = api.get("/image/" + id + "?waitFor=processed&timeout=30");

    assertThat(waited.status()).isEqualTo(200);
    assertThat(waited.json().getString("state")).as("answered once processed, not before").isEqualTo("processed");
    assertThat(waited.json().getJsonObject("result")).isNotNull();
  }

  @Test
  void aWaitThatTimesOutReturnsTheRecordAsItIs() {
    String id = api.createImage();

    long started = System.nanoTime();
    ApiClient.Response waited = api.get("/image/" + id + "?waitFor=processed&timeout=1");
    long tookMs = (System.nanoTime() - started) / 1_000_000;

    assertThat(waited.status()).isEqualTo(200);
    assertThat(waited.json().getString("state")).isEqualTo("created");
    assertThat(tookMs).as("held for the timeout").isGreaterThanOrEqualTo(1000);
  }

  @Test
  void aFailedImageEndsAWaitForProcessed() {
    String id = api.createImage();
    assertThat(api.upload(id, Images.resource("pillow/truncated_jpeg.jpg")).status()).isEqualTo(202);

    ApiClient.Response waited = api.get("/image/" + id + "?waitFor=processed&timeout=30");

    assertThat(waited.json().getString("state")).isEqualTo("failed");
  }

  @Test
  void badParametersAreRefusedWithJsonErrors() {
    String id = api.createImage();
    assertThat(api.get("/image/" + id + "?waitFor=done")).satisfies(r -> {
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.json().getString("error")).isEqualTo("INVALID_WAIT_FOR");
    });
    assertThat(api.get("/image/" + id + "?waitFor=final&timeout=31")).satisfies(r -> {
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.json().getString("error")).isEqualTo("INVALID_TIMEOUT");
    });
    assertThat(api.get("/image/" + id + "?waitFor=final&timeout=soon").status()).isEqualTo(400);
    assertThat(api.get("/image/00000000-0000-4000-8000-000000000000?waitFor=final").status()).isEqualTo(404);
  }
}
