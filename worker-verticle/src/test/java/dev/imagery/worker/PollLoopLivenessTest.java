package dev.imagery.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.shared.config.ImageryConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PollLoopLivenessTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final PollLoopLiveness liveness = new PollLoopLiveness(Duration.ofSeconds(150), now::get);

  @Test
  void aLoopThatMovedRecentlyIsLive() {
    advance(Duration.ofSeconds(149));
    assertThat(liveness.stalled(2)).isFalse();
  }

  @Test
  void aFreeSlotWithNothingHappeningPastTheBoundIsAStall() {
    advance(Duration.ofSeconds(151));
    assertThat(liveness.stalled(1)).isTrue();
    assertThat(liveness.sinceActivity()).isEqualTo(Duration.ofSeconds(151));
  }

  @Test
  void activityResetsTheClock() {
    advance(Duration.ofSeconds(140));
    liveness.touched();
    advance(Duration.ofSeconds(140));
    assertThat(liveness.stalled(1)).isFalse();
    assertThat(liveness.sinceActivity()).isEqualTo(Duration.ofSeconds(140));
  }

  @Test
  void everySlotBusyIsWaitingNotStalling() {
    advance(Duration.ofHours(1));
    assertThat(liveness.stalled(0)).isFalse();
  }

  @Test
  void theBoundCoversTheLongestReceiveAndBackoff() {
    ImageryConfig config = ImageryConfig.fromEnv(Map.of());
    // Default SQS call timeout 60 s (2 x the 30 s attempt), backoff up to 30 s, a minute of margin.
    assertThat(WorkerVerticle.stallAfter(config)).isEqualTo(Duration.ofSeconds(150));
    ImageryConfig slow = ImageryConfig.fromEnv(Map.of("IMAGERY_SQS_CALL_TIMEOUT_MS", "300000"));
    assertThat(WorkerVerticle.stallAfter(slow)).isEqualTo(Duration.ofSeconds(390));
  }

  private void advance(Duration by) {
    now.addAndGet(by.toNanos());
  }
}
