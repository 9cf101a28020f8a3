package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.shared.image.ImageIds;
import dev.imagery.shared.queue.JobMessage;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Retries, duplicates and races end in one consistent state, never a duplicate and never an error. */
class IdempotencyTest {

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;
  private final Backend backend = new Backend(stack);

  @Test
  void creatingWithTheSameClientIdTwiceReturnsTheSameRecord() {
    String id = ImageIds.newId();

    ApiClient.Response first = api.send("PUT", "/image/" + id);
    ApiClient.Response again = api.send("PUT", "/image/" + id);

    assertThat(first.status()).isEqualTo(201);
    assertThat(first.headers().firstValue("Location")).contains("/image/" + id);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json()).isEqualTo(first.json());
    assertThat(api.get("/image/" + id).json()).isEqualTo(first.json());
  }

  @Test
  void serverGeneratedIdsAreDistinct() {
    assertThat(api.createImage()).isNotEqualTo(api.createImage());
  }

  @Test
  void retryingAnUploadWithTheSameBytesGivesTheSameOutcomeAndOneObject() {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String id = api.createImage();

    JsonObject first = api.upload(id, photo).json();
    ApiClient.Response retry = api.upload(id, photo);

    assertThat(retry.status()).isEqualTo(202);
    // The same upload, not a second one: the same original, and no new write. The worker may already have
    // committed the result in between (it takes ~20 ms here), which is then the one write after the upload.
    assertThat(retry.json().getJsonObject("original")).isEqualTo(first.getJsonObject("original"));
    if (retry.json().getString("state").equals("uploaded")) {
      assertThat(retry.json().getLong("version")).isEqualTo(first.getLong("version"));
    } else {
      assertThat(retry.json().getString("state")).isEqualTo("processed");
      assertThat(retry.json().getLong("version")).isEqualTo(first.getLong("version") + 1);
    }
    JsonObject processed = api.awaitState(id, "processed");

    ApiClient.Response lateRetry = api.upload(id, photo);

    assertThat(lateRetry.status()).as("a retry after processing is the same success").isEqualTo(202);
    assertThat(lateRetry.json()).isEqualTo(processed);
    assertThat(backend.keys("raw/" + id + "/")).hasSize(1);
  }

  @Test
  void concurrentUploadsOfDifferentFilesToOneIdEndConsistent() {
    byte[] jpeg = Images.resource("pillow/hopper.jpg");
    byte[] png = Images.resource("pngsuite/basn2c08.png");
    String id = api.createImage();

    CompletableFuture<ApiClient.Response> a = CompletableFuture.supplyAsync(() -> api.upload(id, jpeg));
    CompletableFuture<ApiClient.Response> b = CompletableFuture.supplyAsync(() -> api.upload(id, png));
    List<Integer> statuses = List.of(a.join().status(), b.join().status());

    assertThat(statuses).allMatch(status -> status == 202 || status == 409).contains(202);
    JsonObject done = api.awaitState(id, "processed");
    awaitQuiet();
    String contentType = done.getJsonObject("original").getString("contentType");
    assertThat(done.getJsonObject("result").getString("contentType"))
        .as("the result belongs to the upload the record holds").isEqualTo(contentType);
    String uploadId = backend.uploadId(id);
    assertThat(backend.keys("processed/" + id + "/"))
        .as("one result and one thumbnail, both of the kept upload")
        .hasSize(2)
        .allMatch(key -> key.startsWith("processed/" + id + "/" + uploadId));
    byte[] original = api.bytes(done.getJsonObject("original").getString("url"));
    assertThat(original).isEqualTo(contentType.equals("image/png") ? png : jpeg);
  }

  @Test
  void aDuplicatedJobIsNotProcessedTwice() {
    String id = api.createImage();
    assertThat(api.upload(id, Images.resource("pillow/hopper.jpg")).status()).isEqualTo(202);
    JobMessage job = new JobMessage(id, backend.uploadId(id));
    // Delivered again while the first may still be in progress, then again after it finished.
    backend.sendJob(job);
    JsonObject processed = api.awaitState(id, "processed");
    backend.sendJob(job);
    awaitQuiet();

    JsonObject after = api.get("/image/" + id).json();

    assertThat(after).isEqualTo(processed);
    assertThat(after.getLong("version")).as("created 0 -> uploaded 1 -> processed 2, once").isEqualTo(2);
    assertThat(backend.keys("processed/" + id + "/")).hasSize(2);
    assertThat(backend.deadLetters()).isZero();
  }


  /** Every job sent so far has been handled and deleted. */
  void awaitQuiet() {
    Poll.await("the job queue to drain", Duration.ofSeconds(60), backend::pendingJobs, pending -> pending == 0);
  }
}
