package dev.imagery.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.shared.image.AttemptLedger.Attempts;
import org.junit.jupiter.api.Test;

class AttemptLimitsTest {

  private final AttemptLimits limits = new AttemptLimits(3, 5);

  @Test
  void anImageFailsBeforeStartingOnceItsUnfinishedAttemptsReachTheLimit() {
    assertThat(limits.exhaustedBeforeStart(new Attempts(1, 0))).as("first attempt").isEmpty();
    assertThat(limits.exhaustedBeforeStart(new Attempts(3, 0))).as("two workers died so far").isEmpty();
    assertThat(limits.exhaustedBeforeStart(new Attempts(4, 0))).as("three workers died so far")
        .hasValueSatisfying(reason -> assertThat(reason).startsWith("processing did not finish after 3 attempts"));
    assertThat(limits.exhaustedBeforeStart(new Attempts(6, 3)))
        .as("attempts that ended cleanly (transient failures, shutdowns) cost no chance").isEmpty();
  }

  @Test
  void aFailureOnTheLastReceiveBeforeTheDeadLetterQueueFailsTheImageWithItsCause() {
    assertThat(limits.exhaustedAfterFailure(4, "S3 is down")).isEmpty();
    assertThat(limits.exhaustedAfterFailure(5, "S3 is down")).hasValue(
        "processing failed on each of the 5 receives of its job; the last error: S3 is down");
    assertThat(limits.exhaustedAfterFailure(7, "x")).as("receive counts past the limit (a redrive)").isPresent();
  }
}
