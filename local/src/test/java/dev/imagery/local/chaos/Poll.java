package dev.imagery.local.chaos;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polls until a condition holds or a deadline passes: the chaos tests never sleep a guessed time. */
final class Poll {

  static final Duration DEFAULT_INTERVAL = Duration.ofMillis(100);

  private Poll() {
  }

  static <T> T await(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
    return await(what, timeout, DEFAULT_INTERVAL, probe, done);
  }

  static <T> T await(String what, Duration timeout, Duration interval, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = probe.get();
    while (!done.test(last)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last seen: " + last);
      }
      pause(interval);
      last = probe.get();
    }
    return last;
  }

  /** Like {@link #await}, but returns the last value seen at the deadline instead of failing: for reports. */
  static <T> T lastUntil(Duration timeout, Duration interval, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = probe.get();
    while (!done.test(last) && System.nanoTime() - deadline < 0) {
      pause(interval);
      last = probe.get();
    }
    return last;
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    await(what, timeout, condition::getAsBoolean, Boolean::booleanValue);
  }

  /** Yields the CPU between two probes (or two attempts of the retrying client), never as a test's logic. */
  static void pause(Duration interval) {
    LockSupport.parkNanos(interval.toNanos());
    if (Thread.interrupted()) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while polling");
    }
  }
}
