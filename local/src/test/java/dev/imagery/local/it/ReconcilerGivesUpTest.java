package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.Poll;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ObjectKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;

/**
 * The reconciler's own bound: an image that has had its {@code IMAGERY_MAX_REQUEUES} (3, the default) requeues and
 * still waits is marked {@code failed} at its next due point instead of being queued a fourth time; and an image
 * that has failed is never revived, even if its item (wrongly) still carries the index keys of a waiting image.
 * The test stack's reconciler runs every second, with due points at 2, 4, 8 and 16 s.
 */
class ReconcilerGivesUpTest {

  /** The test stack's IMAGERY_RECONCILE_AFTER_SECONDS. */
  private static final Duration AFTER = Duration.ofSeconds(2);
  private static final int MAX_REQUEUES = 3;

  private final TestStack stack = TestStack.get();

  @Test
  void anImageStillWaitingAfterItsLastRequeueIsFailedAndAFailedImageIsNeverRevived() {
    Instant now = Instant.now();
    // Waiting for 8 x AFTER less a little: its last allowed requeue (at 4 x AFTER) was claimed, the next due point is
    // 8 x AFTER, a moment away.
    ImageRecord waiting = waiting(UUID.randomUUID().toString(), now.minus(AFTER.multipliedBy(8)).plusMillis(500));
    Map<String, AttributeValue> item = new HashMap<>(waiting.toItem());
    item.put(ImageRecord.REQUEUES, AttributeValue.fromN(Integer.toString(MAX_REQUEUES)));
    item.put(ImageRecord.REQUEUED_AT, AttributeValue.fromN(Long.toString(
        waiting.updatedAt().plus(AFTER.multipliedBy(4)).toEpochMilli())));
    put(item);
    // Failed long ago, yet carrying the index keys, in the same index partition and older, so the pass reads it
    // first: the claim's condition (state uploaded) must refuse it.
    ImageRecord failed = failedInTheIndex(sameShardAs(waiting.id()), now.minus(AFTER.multipliedBy(8)));

    ImageRecord gaveUp = Poll.await("the reconciler to give up on " + waiting.id(), Duration.ofSeconds(30),
        () -> record(waiting.id()), record -> record.state() != ImageState.UPLOADED);

    assertThat(gaveUp.state()).isEqualTo(ImageState.FAILED);
    assertThat(gaveUp.failureReason()).hasValueSatisfying(reason -> assertThat(reason)
        .startsWith("processing did not finish within ").endsWith("after 3 requeues of its job"));
    assertThat(gaveUp.version()).as("uploaded (1), failed (2): one transition, by the reconciler").isEqualTo(2);
    Map<String, AttributeValue> after = item(failed.id());
    assertThat(ImageRecord.fromItem(after)).as("the failed image, untouched").isEqualTo(failed);
    assertThat(after).as("never claimed for a requeue").doesNotContainKey(ImageRecord.REQUEUED_AT);
  }

  private ImageRecord waiting(String id, Instant since) {
    String uploadId = UUID.randomUUID().toString();
    return new ImageRecord(id, ImageState.UPLOADED, 1, since, since,
        Optional.of(new ImageRecord.Upload(uploadId, ObjectKeys.raw(id, uploadId), "image/jpeg", 10, "x", since)),
        Optional.empty(), Optional.empty(), ImageRecord.ANONYMOUS);
  }

  private ImageRecord failedInTheIndex(String id, Instant since) {
    ImageRecord uploaded = waiting(id, since);
    ImageRecord failed = new ImageRecord(id, ImageState.FAILED, 2, since, since, uploaded.upload(), Optional.empty(),
        Optional.of("failed before the test"), ImageRecord.ANONYMOUS);
    Map<String, AttributeValue> item = new HashMap<>(failed.toItem());
    item.put(ImageRecord.AWAITING, AttributeValue.fromS(ImageRecord.awaitingShard(id)));
    item.put(ImageRecord.AWAITING_SINCE, AttributeValue.fromN(Long.toString(since.toEpochMilli())));
    put(item);
    return failed;
  }

  private static String sameShardAs(String id) {
    while (true) {
      String candidate = UUID.randomUUID().toString();
      if (ImageRecord.awaitingShard(candidate).equals(ImageRecord.awaitingShard(id))) {
        return candidate;
      }
    }
  }

  private void put(Map<String, AttributeValue> item) {
    stack.imagery.aws().dynamoDb().putItem(PutItemRequest.builder()
        .tableName(stack.imagery.config().resources().table()).item(item).build()).join();
  }

  private ImageRecord record(String id) {
    return ImageRecord.fromItem(item(id));
  }

  private Map<String, AttributeValue> item(String id) {
    return new Backend(stack).item(id);
  }
}
