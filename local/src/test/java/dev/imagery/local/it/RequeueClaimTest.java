package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.ObjectKeys;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The reconciler's claim of a requeue, against DynamoDB Local: one winner per image, upload and due point; a newer
 * due point can be claimed, an older or the same cannot; it never touches {@code version}, so the worker's commit
 * still applies; and it fails once the image has left {@code uploaded} or moved to another upload.
 */
class RequeueClaimTest {

  private final TestStack stack = TestStack.get();
  private final ImageStore store = new ImageStore(stack.imagery.vertx(), stack.imagery.aws().dynamoDb(),
      stack.imagery.config().resources().table(), Clock.systemUTC());

  @Test
  void aDuePointIsClaimedOnceAndOnlyWhileTheImageWaitsForThatUpload() throws Exception {
    ImageRecord waiting = waitingOutsideTheIndex();
    String uploadId = waiting.uploadId().orElseThrow();
    ImageStore.Awaiting job = new ImageStore.Awaiting(waiting.id(), uploadId, waiting.updatedAt());
    Instant due = waiting.updatedAt().plusSeconds(300);

    assertThat(claim(job, due)).as("first claim of a due point").isTrue();
    assertThat(claim(job, due)).as("the same due point again (another reconciler)").isFalse();
    assertThat(claim(job, due.minusSeconds(1))).as("an older due point").isFalse();
    assertThat(claim(new ImageStore.Awaiting(waiting.id(), UUID.randomUUID().toString(), waiting.updatedAt()),
        due.plusSeconds(300))).as("another upload's job").isFalse();
    assertThat(claim(job, due.plusSeconds(300))).as("the next due point").isTrue();

    Map<String, AttributeValue> item = item(waiting.id());
    assertThat(item.get(ImageRecord.REQUEUED_AT).n()).isEqualTo(Long.toString(due.plusSeconds(300).toEpochMilli()));
    assertThat(item.get(ImageRecord.REQUEUES).n()).as("two claims won, two requeues counted").isEqualTo("2");
    assertThat(ImageRecord.fromItem(item)).as("the claims changed nothing of the record, version included")
        .isEqualTo(waiting);

    ImageStore.Committed done = store.markProcessed(waiting, new ImageRecord.Result(
            ObjectKeys.raw(waiting.id(), uploadId) + ".jpg", "image/jpeg", "thumb", 1, 1, Instant.now()))
        .await(30, TimeUnit.SECONDS);
    assertThat(done.written()).as("the worker's commit, conditional on version, applies after claims").isTrue();
    assertThat(item(waiting.id())).as("the transition's PutItem drops the claim")
        .doesNotContainKey(ImageRecord.REQUEUED_AT);
    assertThat(claim(job, due.plusSeconds(900))).as("a processed image").isFalse();
  }

  @Test
  void ofManyRacingClaimsOfOneDuePointExactlyOneWins() throws Exception {
    ImageRecord waiting = waitingOutsideTheIndex();
    ImageStore.Awaiting job = new ImageStore.Awaiting(waiting.id(), waiting.uploadId().orElseThrow(),
        waiting.updatedAt());
    Instant due = waiting.updatedAt().plusSeconds(300);

    var racing = java.util.stream.IntStream.range(0, 12).mapToObj(i -> store.claimRequeue(job, due)).toList();
    io.vertx.core.Future.all(racing).await(30, TimeUnit.SECONDS);

    assertThat(racing.stream().filter(claim -> claim.result().claimed()).count()).isEqualTo(1);
  }

  private boolean claim(ImageStore.Awaiting job, Instant due) throws Exception {
    return store.claimRequeue(job, due).await(30, TimeUnit.SECONDS).claimed();
  }

  private ImageRecord waitingOutsideTheIndex() {
    return new Backend(stack).waitingOutsideTheIndex();
  }

  private Map<String, AttributeValue> item(String id) {
    return new Backend(stack).item(id);
  }
}
