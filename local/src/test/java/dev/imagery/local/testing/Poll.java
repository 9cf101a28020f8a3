package dev.imagery.local.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The one way the tests wait: poll a probe until a condition holds or a deadline passes. Tests never sleep a
 * guessed time; a wait that fails names what it waited for and the last value it saw.
 */
public final class Poll {

  public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(100);

  private Poll() {
  }

  /** Probes every {@link #DEFAULT_INTERVAL} until {@code done} accepts a value; that value. */
  public static <T> T await(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
    return await(what, timeout, DEFAULT_INTERVAL, probe, done);
  }

  public static <T> T await(String what, Duration timeout, Duration interval, Supplier<T> probe, Predicate<T> done) {
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

  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    await(what, timeout, condition::getAsBoolean, Boolean::booleanValue);
  }

  /** Like {@link #await}, but returns the last value seen at the deadline instead of failing: for reports. */
  public static <T> T lastUntil(Duration timeout, Duration interval, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = probe.get();
    while (!done.test(last) && System.nanoTime() - deadline < 0) {
      pause(interval);
      last = probe.get();
    }
    return last;
  }

  /** Yields the CPU between two probes (or two attempts of a retrying client), never as a test's logic. */
  public static void pause(Duration interval) {
    LockSupport.parkNanos(interval.toNanos());
    if (Thread.interrupted()) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while polling");
    }
  }
}
