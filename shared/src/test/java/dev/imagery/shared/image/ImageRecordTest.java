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
  void theUploadsTraceparentSurvivesTheItemFormAndIsOmittedWhenUnknown() {
    String trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    ImageRecord traced = new ImageRecord("0b8a8a3c-4f67-4c8e-9d55-0d7f0c8a1e22", ImageState.UPLOADED, 1, T0, T0,
        Optional.of(new ImageRecord.Upload("u1", "raw/x/u1", "image/png", 1, "ab", T0, Optional.of(trace))),
        Optional.empty(), Optional.empty());
    assertThat(traced.toItem().get(ImageRecord.TRACEPARENT).s()).isEqualTo(trace);
    assertThat(ImageRecord.fromItem(traced.toItem())).isEqualTo(traced);

    ImageRecord untraced = new ImageRecord(traced.id(), ImageState.UPLOADED, 1, T0, T0,
        Optional.of(new ImageRecord.Upload("u1", "raw/x/u1", "image/png", 1, "ab", T0)), Optional.empty(),
        Optional.empty());
    assertThat(untraced.toItem()).doesNotContainKey(ImageRecord.TRACEPARENT);
    assertThat(ImageRecord.fromItem(untraced.toItem()).upload().orElseThrow().traceparent()).isEmpty();
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

  @Test
  void aDeletingRecordKeepsWhatItNamesButLeavesTheIndexSoTheReconcilerNeverRequeuesIt() {
    ImageRecord uploaded = new ImageRecord("id", ImageState.UPLOADED, 1, T0, T0.plusSeconds(1),
        Optional.of(new ImageRecord.Upload("u1", "raw/id/u1", "image/png", 1234, "ab12", T0.plusSeconds(1))),
        Optional.empty(), Optional.empty());

    ImageRecord deleting = uploaded.deleting(T0.plusSeconds(9));

    assertThat(deleting.state()).isEqualTo(ImageState.DELETING);
    assertThat(deleting.version()).isEqualTo(2);
    assertThat(deleting.updatedAt()).isEqualTo(T0.plusSeconds(9));
    assertThat(deleting.upload()).isEqualTo(uploaded.upload());
    assertThat(uploaded.toItem()).containsKey(ImageRecord.AWAITING);
    assertThat(deleting.toItem()).doesNotContainKeys(ImageRecord.AWAITING, ImageRecord.AWAITING_SINCE);
    assertThat(deleting.toItem().get("state").s()).isEqualTo("deleting");
    assertThat(ImageRecord.fromItem(deleting.toItem())).isEqualTo(deleting);
  }

  @Test
  void everyObjectOfAnImageLiesUnderItsPrefixes() {
    String id = "0b8a8a3c-4f67-4c8e-9d55-0d7f0c8a1e22";
    java.util.List<String> keys = new java.util.ArrayList<>(ObjectKeys.resultsOf(id, "u1"));
    keys.add(ObjectKeys.raw(id, "u1"));
    keys.add(ObjectKeys.result(id, "u2", "png"));

    assertThat(keys).allMatch(key -> ObjectKeys.prefixes(id).stream().anyMatch(key::startsWith));
    assertThat(keys).noneMatch(key -> ObjectKeys.prefixes(id.replace('0', '1')).stream().anyMatch(key::startsWith));
    assertThat(ObjectKeys.prefixes(id)).allMatch(prefix -> ObjectKeys.ROOTS.stream().anyMatch(prefix::startsWith));
  }

  @Test
  void aWaitingImageIsIndexedUnderItsShardAndOthersAreNotIndexed() {
    String id = "0b8a8a3c-4f67-4c8e-9d55-0d7f0c8a1e22";
    ImageRecord uploaded = new ImageRecord(id, ImageState.UPLOADED, 1, T0, T0.plusSeconds(1),
        Optional.of(new ImageRecord.Upload("u1", "raw/x/u1", "image/png", 1234, "ab12", T0.plusSeconds(1))),
        Optional.empty(), Optional.empty());

    assertThat(uploaded.toItem().get(ImageRecord.AWAITING).s()).isEqualTo(ImageRecord.awaitingShard(id))
        .matches("uploaded#[0-7]");
    assertThat(uploaded.toItem().get(ImageRecord.AWAITING_SINCE).n()).isEqualTo(
        Long.toString(T0.plusSeconds(1).toEpochMilli()));
    assertThat(ImageRecord.created(id, T0).toItem()).doesNotContainKeys(ImageRecord.AWAITING, ImageRecord.AWAITING_SINCE);
  }

  @Test
  void theShardIsStableAndSpreadsIdsOverAllShards() {
    // The CRC-32 of the id's UTF-8 bytes, mod 8: fixed values, so a record keeps its shard across versions.
    assertThat(ImageRecord.awaitingShard("0b8a8a3c-4f67-4c8e-9d55-0d7f0c8a1e22"))
        .isEqualTo(ImageRecord.awaitingShard("0b8a8a3c-4f67-4c8e-9d55-0d7f0c8a1e22"));
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update("abc".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(crc.getValue()).isEqualTo(0x352441C2L); // the CRC-32 check value of "abc"
    assertThat(ImageRecord.awaitingShard("abc")).isEqualTo("uploaded#" + (0x352441C2L % 8));

    java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
    for (int i = 0; i < 8000; i++) {
      counts.merge(ImageRecord.awaitingShard(java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i, (byte) (i >> 8)})
          .toString()), 1, Integer::sum);
    }
    assertThat(counts).hasSize(ImageRecord.AWAITING_SHARDS);
    assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(850, 1150));
  }

  @Test
  void readersQueryEveryShardAndTheLegacyUnshardedValue() {
    assertThat(ImageRecord.awaitingKeys()).containsExactly("uploaded#0", "uploaded#1", "uploaded#2", "uploaded#3",
        "uploaded#4", "uploaded#5", "uploaded#6", "uploaded#7", "uploaded");
  }
}
