package dev.imagery.local.it;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polls until a condition holds or a deadline passes: tests never sleep a guessed time. */
final class Eventually {

  private Eventually() {
  }

  static <T> T await(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = probe.get();
    while (!done.test(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last seen: " + last);
      }
      parkBriefly();
      last = probe.get();
    }
    return last;
  }

  /** Yields the CPU between probes without a fixed sleep in the test's logic. */
  private static void parkBriefly() {
    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
  }
}
