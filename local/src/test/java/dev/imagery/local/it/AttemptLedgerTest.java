package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imagery.shared.image.AttemptLedger;
import dev.imagery.shared.image.ImageNotFoundException;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.ObjectKeys;
import dev.imagery.shared.image.TransitionConflictException;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The worker's first call of a job, against DynamoDB Local: one conditional {@code UpdateItem} counts the attempt
 * and returns the record as it stands, which is what the job works on; an image that does not wait for the job's
 * upload comes back as a conflict carrying its record (nothing to do), a missing one as not found.
 */
class AttemptLedgerTest {

  private final TestStack stack = TestStack.get();
  private final AttemptLedger ledger = new AttemptLedger(stack.imagery.vertx(), stack.imagery.aws().dynamoDb(),
      stack.imagery.config().resources().table());
  private final ImageStore store = new ImageStore(stack.imagery.vertx(), stack.imagery.aws().dynamoDb(),
      stack.imagery.config().resources().table(), Clock.systemUTC());

  @Test
  void beginningAJobCountsTheAttemptAndReturnsTheRecordItWorksOn() throws Exception {
    ImageRecord waiting = waitingOutsideTheIndex();
    String uploadId = waiting.uploadId().orElseThrow();

    AttemptLedger.Begun first = ledger.begin(waiting.id(), uploadId).await(30, TimeUnit.SECONDS);
    assertThat(first.record()).as("the record, version included, as a read would have returned it")
        .isEqualTo(waiting);
    assertThat(first.attempts()).isEqualTo(new AttemptLedger.Attempts(1, 0));

    ledger.end(first.record()).await(30, TimeUnit.SECONDS);
    AttemptLedger.Begun second = ledger.begin(waiting.id(), uploadId).await(30, TimeUnit.SECONDS);
    assertThat(second.attempts()).as("one ended, not the image's fault: still attempt 1")
        .isEqualTo(new AttemptLedger.Attempts(2, 1));
    assertThat(second.attempts().unfinishedBefore()).isZero();

    ImageStore.Committed done = store.markProcessed(second.record(), new ImageRecord.Result(
            ObjectKeys.raw(waiting.id(), uploadId) + ".jpg", "image/jpeg", "thumb", 1, 1, Instant.now()))
        .await(30, TimeUnit.SECONDS);
    assertThat(done.written()).as("the commit, conditional on the version the job was given, applies").isTrue();
  }

  @Test
  void aJobForAnImageThatNoLongerWaitsForItsUploadGetsTheRecordAsItStands() throws Exception {
    ImageRecord waiting = waitingOutsideTheIndex();

    assertThatThrownBy(() -> ledger.begin(waiting.id(), UUID.randomUUID().toString()).await(30, TimeUnit.SECONDS))
        .as("another upload's job")
        .isInstanceOfSatisfying(TransitionConflictException.class,
            conflict -> assertThat(conflict.current()).isEqualTo(waiting));

    ImageRecord processed = store.markProcessed(waiting, new ImageRecord.Result("r", "image/jpeg", "t", 1, 1,
        Instant.now())).await(30, TimeUnit.SECONDS).record();
    assertThatThrownBy(() -> ledger.begin(waiting.id(), waiting.uploadId().orElseThrow())
        .await(30, TimeUnit.SECONDS))
        .as("a redelivered job of an image already processed")
        .isInstanceOfSatisfying(TransitionConflictException.class,
            conflict -> assertThat(conflict.current().state()).isEqualTo(ImageState.PROCESSED));
    assertThat(store.get(waiting.id()).await(30, TimeUnit.SECONDS)).as("the failed condition wrote nothing")
        .isEqualTo(processed);

    assertThatThrownBy(() -> ledger.begin(UUID.randomUUID().toString(), UUID.randomUUID().toString())
        .await(30, TimeUnit.SECONDS))
        .isInstanceOf(ImageNotFoundException.class);
  }

  private ImageRecord waitingOutsideTheIndex() {
    return new Backend(stack).waitingOutsideTheIndex();
  }
}
