package dev.imagery.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReconcilerScheduleTest {

  private final Reconciler reconciler =
      new Reconciler(null, null, null, Duration.ofMinutes(5), Duration.ofMinutes(1), 3, null, null);

  @Test
  void aFreshWaitIsLeftAlone() {
    assertThat(reconciler.due(Duration.ofMinutes(4))).isFalse();
  }

  @Test
  void aWaitIsRequeuedJustAfterEachDoubling() {
    assertThat(reconciler.due(Duration.ofMinutes(5))).isTrue();
    assertThat(reconciler.due(Duration.ofSeconds(5 * 60 + 80))).isTrue();
    assertThat(reconciler.due(Duration.ofMinutes(7))).isFalse();
    assertThat(reconciler.due(Duration.ofMinutes(10))).isTrue();
    assertThat(reconciler.due(Duration.ofMinutes(15))).isFalse();
    assertThat(reconciler.due(Duration.ofMinutes(20))).isTrue();
    assertThat(reconciler.due(Duration.ofMinutes(30))).isFalse();
    assertThat(reconciler.due(Duration.ofMinutes(40).plusSeconds(30))).isTrue();
  }

  @Test
  void aDayLongWaitIsRequeuedOnlyAHandfulOfTimes() {
    int requeues = 0;
    for (long second = 0; second < Duration.ofDays(1).toSeconds(); second += 60) {
      if (reconciler.due(Duration.ofSeconds(second))) {
        requeues++;
      }
    }
    // Passes every minute; a window of 1.5 minutes is met once or twice per doubling: 9 doublings in a day.
    assertThat(requeues).isBetween(9, 18);
  }

  @Test
  void everyReconcilerNamesTheSameDuePointForOneCrossing() {
    Instant since = Instant.parse("2026-12-01T10:00:00.123Z");
    // Workers passing at different moments of one window agree on the due point they claim.
    assertThat(reconciler.duePoint(since, since.plusSeconds(5 * 60))).isEqualTo(since.plusSeconds(5 * 60));
    assertThat(reconciler.duePoint(since, since.plusSeconds(5 * 60 + 80))).isEqualTo(since.plusSeconds(5 * 60));
    assertThat(reconciler.duePoint(since, since.plusSeconds(10 * 60 + 1))).isEqualTo(since.plusSeconds(10 * 60));
    assertThat(reconciler.duePoint(since, since.plusSeconds(40 * 60 + 30))).isEqualTo(since.plusSeconds(40 * 60));
    // Between two crossings the last one stands, so a late claim for it cannot pass a newer one.
    assertThat(reconciler.duePoint(since, since.plusSeconds(39 * 60))).isEqualTo(since.plusSeconds(20 * 60));
  }
}
