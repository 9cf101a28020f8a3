package dev.imagery.shared.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageStateTest {

  @Test
  void allowsOnlyTheDocumentedTransitions() {
    assertThat(ImageState.CREATED.canTransitionTo(ImageState.UPLOADED)).isTrue();
    assertThat(ImageState.UPLOADED.canTransitionTo(ImageState.UPLOADED)).as("re-upload before processing").isTrue();
    assertThat(ImageState.UPLOADED.canTransitionTo(ImageState.PROCESSED)).isTrue();
    assertThat(ImageState.UPLOADED.canTransitionTo(ImageState.FAILED)).isTrue();

    assertThat(ImageState.CREATED.canTransitionTo(ImageState.PROCESSED)).isFalse();
    assertThat(ImageState.CREATED.canTransitionTo(ImageState.FAILED)).isFalse();
    assertThat(ImageState.PROCESSED.canTransitionTo(ImageState.UPLOADED)).isFalse();
    assertThat(ImageState.FAILED.canTransitionTo(ImageState.UPLOADED)).isFalse();
    assertThat(ImageState.FAILED.canTransitionTo(ImageState.PROCESSED)).isFalse();
    for (ImageState from : ImageState.values()) {
      assertThat(from.canTransitionTo(ImageState.CREATED)).as(from + " -> created").isFalse();
    }
  }

  @Test
  void everyStateButDeletingMayBecomeDeletingAndNothingLeavesIt() {
    for (ImageState from : ImageState.values()) {
      assertThat(from.canTransitionTo(ImageState.DELETING)).as(from + " -> deleting")
          .isEqualTo(from != ImageState.DELETING);
      if (from != ImageState.DELETING) {
        assertThat(ImageState.DELETING.canTransitionTo(from)).as("deleting -> " + from).isFalse();
      }
    }
  }

  @Test
  void finalStatesAreProcessedAndFailed() {
    assertThat(ImageState.PROCESSED.isFinal()).isTrue();
    assertThat(ImageState.FAILED.isFinal()).isTrue();
    assertThat(ImageState.CREATED.isFinal()).isFalse();
    assertThat(ImageState.UPLOADED.isFinal()).isFalse();
  }

  @Test
  void wireNamesRoundTrip() {
    for (ImageState state : ImageState.values()) {
      assertThat(ImageState.fromWireName(state.wireName())).isEqualTo(state);
    }
    assertThat(ImageState.PROCESSED.wireName()).isEqualTo("processed");
  }
}
