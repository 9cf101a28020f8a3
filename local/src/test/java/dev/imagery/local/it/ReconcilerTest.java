package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import dev.imagery.local.testing.Scrape;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.ObjectKeys;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * An upload that stopped between its DynamoDB transition and its SQS send (the process died, or SQS refused):
 * the reconciler finds the image waiting in {@code uploaded} and queues its job again.
 */
class ReconcilerTest {

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;

  @Test
  void anImageWhoseJobWasNeverSentStillEndsProcessed() throws Exception {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    // Earlier tests' last deletes (and the duplicates the test stack's quick reconciler may send) settle first.
    Poll.await("the shared queue to be empty", Duration.ofSeconds(60), () -> new Backend(stack).pendingJobs(),
        pending -> pending == 0);
    String id = api.createImage();
    String uploadId = UUID.randomUUID().toString();
    String rawKey = ObjectKeys.raw(id, uploadId);
    // The API's first two steps, done by hand: the object, then the conditional transition; no job is sent.
    stack.imagery.aws().s3().putObject(PutObjectRequest.builder()
        .bucket(stack.bucket()).key(rawKey).contentType("image/jpeg").build(), AsyncRequestBody.fromBytes(photo))
        .get(30, TimeUnit.SECONDS);
    ImageStore store = new ImageStore(stack.imagery.vertx(), stack.imagery.aws().dynamoDb(),
        stack.imagery.config().resources().table(), Clock.systemUTC());
    store.markUploaded(id, new ImageRecord.Upload(uploadId, rawKey, "image/jpeg", photo.length, "not-checked",
            Clock.systemUTC().instant()))
        .await(30, TimeUnit.SECONDS);
    assertThat(new Backend(stack).pendingJobs()).as("no job was queued for it").isZero();
    ApiClient worker = new ApiClient("http://127.0.0.1:" + stack.imagery.workerManagementPort());
    double requeuesBefore = Scrape.of(worker).sum("imagery_reconciler_requeues_total");

    JsonObject processed = api.awaitState(id, "processed");

    assertThat(processed.getLong("version")).isEqualTo(2);
    assertThat(new Backend(stack).keys("processed/" + id + "/")).hasSize(2)
        .allMatch(key -> key.startsWith("processed/" + id + "/" + uploadId));
    assertThat(Scrape.of(worker).sum("imagery_reconciler_requeues_total")).as("the reconciler's requeues")
        .isGreaterThan(requeuesBefore);
  }
}
