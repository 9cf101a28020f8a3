package dev.imagery.shared.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageIdsTest {

  @Test
  void acceptsUuidsInCanonicalLowerCase() {
    assertThat(ImageIds.parse("3F2B6C1E-8A4D-4C6B-9F0E-2D7A5B1C9E48")).contains("3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48");
    assertThat(ImageIds.parse(ImageIds.newId())).isPresent();
  }

  @Test
  void refusesAnythingElse() {
    assertThat(ImageIds.parse(null)).isEmpty();
    assertThat(ImageIds.parse("")).isEmpty();
    assertThat(ImageIds.parse("not-a-uuid")).isEmpty();
    assertThat(ImageIds.parse("3f2b6c1e8a4d4c6b9f0e2d7a5b1c9e48")).isEmpty();
    assertThat(ImageIds.parse("../../etc/passwd")).isEmpty();
    assertThat(ImageIds.parse("3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48 ")).isEmpty();
  }

  @Test
  void onlyVersion4UuidsOfTheRfcVariantAreRandom() {
    assertThat(ImageIds.isRandom(ImageIds.newId())).isTrue();
    assertThat(ImageIds.isRandom("3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48")).isTrue();
    assertThat(ImageIds.isRandom("3f2b6c1e-8a4d-4c6b-bf0e-2d7a5b1c9e48")).isTrue();
    // version 1 (time and MAC), 3 and 5 (name hashes), 7 (time-ordered), nil, and version 4 of another variant
    assertThat(ImageIds.isRandom("3f2b6c1e-8a4d-1c6b-9f0e-2d7a5b1c9e48")).isFalse();
    assertThat(ImageIds.isRandom(java.util.UUID.nameUUIDFromBytes(new byte[] {1}).toString())).isFalse();
    assertThat(ImageIds.isRandom("3f2b6c1e-8a4d-5c6b-9f0e-2d7a5b1c9e48")).isFalse();
    assertThat(ImageIds.isRandom("0190f2b6-8a4d-7c6b-9f0e-2d7a5b1c9e48")).isFalse();
    assertThat(ImageIds.isRandom("00000000-0000-0000-0000-000000000000")).isFalse();
    assertThat(ImageIds.isRandom("3f2b6c1e-8a4d-4c6b-cf0e-2d7a5b1c9e48")).isFalse();
    assertThat(ImageIds.isRandom("3f2b6c1e-8a4d-4c6b-7f0e-2d7a5b1c9e48")).isFalse();
  }
}
