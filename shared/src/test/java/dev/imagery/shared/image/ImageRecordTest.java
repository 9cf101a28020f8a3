package dev.imagery.shared.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageRecordTest {

  private static final Instant T0 = Instant.parse("2026-11-24T05:00:00.123Z");

  @Test
  void aFullRecordSurvivesTheDynamoDbItemForm() {
    ImageRecord record = new ImageRecord("0b8a8a3c-4f67-4c8e-9d55-0d7f0c8a1e22", ImageState.PROCESSED, 3, T0,
        T0.plusSeconds(5),
        Optional.of(new ImageRecord.Upload("u1", "raw/x/u1", "image/png", 1234, "ab12", T0.plusSeconds(1))),
        Optional.of(new ImageRecord.Result("processed/x/u1.png", "image/png", "processed/x/u1-thumb.jpg", 640, 480,
            T0.plusSeconds(4))),
        Optional.empty());

    assertThat(ImageRecord.fromItem(record.toItem())).isEqualTo(record);
  }

  @Test
  void aFreshRecordHasNoUploadResultOrReason() {
    ImageRecord created = ImageRecord.created("id", T0);

    ImageRecord back = ImageRecord.fromItem(created.toItem());

    assertThat(back).isEqualTo(created);
    assertThat(back.state()).isEqualTo(ImageState.CREATED);
    assertThat(back.version()).isZero();
    assertThat(back.toItem()).doesNotContainKeys("uploadId", "resultKey", "failureReason");
  }

  @Test
  void timesAreKeptAtTheStoredPrecision() {
    ImageRecord created = ImageRecord.created("id", Instant.parse("2026-11-24T05:00:00.123456789Z"));

    assertThat(created.createdAt()).isEqualTo(T0);
    assertThat(ImageRecord.fromItem(created.toItem())).isEqualTo(created);
  }

  @Test
  void aFailureReasonIsKept() {
    ImageRecord failed = new ImageRecord("id", ImageState.FAILED, 2, T0, T0, Optional.empty(), Optional.empty(),
        Optional.of("image is corrupt"));

    assertThat(ImageRecord.fromItem(failed.toItem()).failureReason()).contains("image is corrupt");
  }
}
