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
}
