package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imagery.shared.image.ImageIds;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.TransitionConflictException;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The store against DynamoDB Local. A write retried after a timeout whose first attempt had in fact applied is
 * exactly a second write decided on the same old record: its condition fails, and the store must accept the
 * outcome already there instead of failing or writing twice.
 */
class StoreRetryTest {

  private final TestStack stack = TestStack.get();
  private final ImageStore store = new ImageStore(stack.imagery.vertx(), stack.imagery.aws().dynamoDb(),
      stack.imagery.config().resources().table(), Clock.systemUTC());

  @Test
  void aCreateRetriedAfterItAppliedReturnsTheRecordAsCreated() throws Exception {
    String id = ImageIds.newId();

    ImageStore.Committed first = await(store.create(id, ImageRecord.ANONYMOUS));
    ImageStore.Committed retry = await(store.create(id, ImageRecord.ANONYMOUS));

    assertThat(first.written()).isTrue();
    assertThat(retry.written()).isFalse();
    assertThat(retry.record()).isEqualTo(first.record());
  }

  @Test
  void anUploadTransitionRetriedAfterItAppliedIsAcceptedNotRepeated() throws Exception {
    String id = await(store.create(ImageIds.newId(), ImageRecord.ANONYMOUS)).record().id();
    ImageRecord.Upload upload = upload();

    ImageStore.Committed first = await(store.markUploaded(id, upload));
    ImageStore.Committed retry = await(store.markUploaded(id, upload));

    assertThat(first.written()).isTrue();
    assertThat(retry.written()).isFalse();
    assertThat(retry.record()).isEqualTo(first.record());
    assertThat(await(store.get(id)).version()).isEqualTo(1);
  }

  @Test
  void aProcessedCommitRetriedOnTheSameOldRecordIsAcceptedNotRepeated() throws Exception {
    String id = await(store.create(ImageIds.newId(), ImageRecord.ANONYMOUS)).record().id();
    ImageRecord uploaded = await(store.markUploaded(id, upload())).record();
    ImageRecord.Result result = new ImageRecord.Result("processed/x.jpg", "image/jpeg", "processed/x-thumb.jpg", 10,
        20, Instant.now());

    ImageStore.Committed first = await(store.markProcessed(uploaded, result));
    // Decided on the same version 1 record, as an SDK retry of the same request would be: the condition fails.
    ImageStore.Committed retry = await(store.markProcessed(uploaded, result));

    assertThat(first.written()).isTrue();
    assertThat(retry.written()).isFalse();
    assertThat(retry.record().state()).isEqualTo(ImageState.PROCESSED);
    assertThat(retry.record().version()).isEqualTo(2);
    assertThat(await(store.get(id))).isEqualTo(first.record());
  }

  @Test
  void aTransitionForASupersededUploadIsRefused() throws Exception {
    String id = await(store.create(ImageIds.newId(), ImageRecord.ANONYMOUS)).record().id();
    ImageRecord older = await(store.markUploaded(id, upload())).record();
    await(store.markUploaded(id, upload()));

    assertThatThrownBy(() -> await(store.markFailed(older, "too late")))
        .isInstanceOf(TransitionConflictException.class);
    assertThat(await(store.get(id)).state()).isEqualTo(ImageState.UPLOADED);
  }

  @Test
  void racingWritersEachGetTheirOwnVersionWithoutGaps() throws Exception {
    String id = await(store.create(ImageIds.newId(), ImageRecord.ANONYMOUS)).record().id();

    List<Future<ImageStore.Committed>> writes = IntStream.range(0, 20)
        .mapToObj(i -> store.markUploaded(id, upload()))
        .toList();
    List<Long> versions = Future.all(writes).await(60, TimeUnit.SECONDS).list().stream()
        .map(committed -> ((ImageStore.Committed) committed).record().version())
        .sorted()
        .toList();

    assertThat(versions).containsExactlyElementsOf(IntStream.rangeClosed(1, 20).mapToObj(Long::valueOf).toList());
    assertThat(await(store.get(id)).version()).isEqualTo(20);
  }

  private static ImageRecord.Upload upload() {
    String uploadId = UUID.randomUUID().toString();
    return new ImageRecord.Upload(uploadId, "raw/test/" + uploadId, "image/jpeg", 1, uploadId, Instant.now());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.await(30, TimeUnit.SECONDS);
  }
}
