package dev.imagery.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.shared.config.ImageryConfig;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CallerLimitsTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private CallerLimits limits(int uploads, int perSecond, int burst) {
    return new CallerLimits(new ImageryConfig.CallerLimits(uploads, perSecond, burst), now::get);
  }

  private void advanceMillis(long ms) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
  }

  @Test
  void aBurstIsAdmittedThenTheRateWithARetryAfterForTheNextToken() {
    CallerLimits limits = limits(0, 2, 4);

    for (int i = 0; i < 4; i++) {
      assertThat(limits.admitRequest("alice")).as("request %d of the burst", i).isEmpty();
    }
    assertThat(limits.admitRequest("alice")).contains(new CallerLimits.Refused(1));
    advanceMillis(500); // 2 per second: one token back
    assertThat(limits.admitRequest("alice")).isEmpty();
    assertThat(limits.admitRequest("alice")).isPresent();
    advanceMillis(60_000);
    for (int i = 0; i < 4; i++) {
      assertThat(limits.admitRequest("alice")).as("the bucket refills to the burst, no further").isEmpty();
    }
    assertThat(limits.admitRequest("alice")).isPresent();
  }

  @Test
  void eachCallerHasItsOwnBucketAndUploads() {
    CallerLimits limits = limits(1, 1, 1);

    assertThat(limits.admitRequest("alice")).isEmpty();
    assertThat(limits.admitRequest("alice")).isPresent();
    assertThat(limits.admitRequest("bob")).as("alice's flood does not touch bob").isEmpty();
    Optional<Runnable> alices = limits.startUpload("alice");
    assertThat(alices).isPresent();
    assertThat(limits.startUpload("alice")).isEmpty();
    assertThat(limits.startUpload("bob")).isPresent();
  }

  @Test
  void anEndedUploadFreesItsSlotOnceHoweverOftenItIsEnded() {
    CallerLimits limits = limits(2, 0, 1);

    Runnable first = limits.startUpload("alice").orElseThrow();
    Runnable second = limits.startUpload("alice").orElseThrow();
    assertThat(limits.startUpload("alice")).isEmpty();
    first.run();
    first.run(); // a second end of the same upload must not free another slot
    Runnable third = limits.startUpload("alice").orElseThrow();
    assertThat(limits.startUpload("alice")).isEmpty();
    second.run();
    third.run();
    assertThat(limits.startUpload("alice")).isPresent();
  }

  @Test
  void zeroTurnsALimitOff() {
    CallerLimits off = limits(0, 0, 1);

    for (int i = 0; i < 1000; i++) {
      assertThat(off.admitRequest("alice")).isEmpty();
      assertThat(off.startUpload("alice")).isPresent();
    }
    assertThat(off.tracked()).as("nothing to remember when nothing is limited").isZero();
  }

  @Test
  void idleCallersAreForgottenButNotOnesWithAnUploadRunningOrTokensSpent() {
    CallerLimits limits = limits(4, 10, 10);
    limits.admitRequest("spent");
    Runnable upload = limits.startUpload("uploading").orElseThrow();
    limits.startUpload("done").orElseThrow().run();

    limits.sweep();
    assertThat(limits.tracked()).as("'done' is idle; 'spent' has not refilled; 'uploading' runs").isEqualTo(2);
    advanceMillis(1_000);
    limits.sweep();
    assertThat(limits.tracked()).isEqualTo(1);
    upload.run();
    limits.sweep();
    assertThat(limits.tracked()).isZero();
  }

  @Test
  void beyondTheTrackedMaximumNewcomersShareOneLimit() {
    CallerLimits limits = limits(0, 1, 1);
    for (int i = 0; i < CallerLimits.MAX_TRACKED; i++) {
      limits.admitRequest("caller-" + i);
    }

    assertThat(limits.admitRequest("newcomer-1")).isEmpty();
    assertThat(limits.admitRequest("newcomer-2")).as("shares the newcomers' bucket").isPresent();
    assertThat(limits.tracked()).isEqualTo(CallerLimits.MAX_TRACKED + 1);
    advanceMillis(1_000);
    assertThat(limits.admitRequest("caller-7")).as("a known caller keeps its own bucket").isEmpty();
    assertThat(limits.admitRequest("newcomer-3")).isEmpty();
    assertThat(limits.admitRequest("newcomer-4")).isPresent();
  }
}
