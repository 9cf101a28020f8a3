package dev.imagery.worker;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Tells whether the worker's poll loop still turns. With a free slot the loop always has a receive or a backoff
 * timer pending, and each of those ends within a bound (the SQS call timeout, the longest backoff); so a loop that
 * has a free slot and has not moved for longer than that has lost its way, and only a restart brings it back.
 * With every slot busy the loop waits for a job by design, which is not a stall (a job's own deadline is the
 * job's business). A blocked event loop shows differently: the liveness request itself is never answered.
 *
 * <p>Used from the worker's event loop only.
 */
final class PollLoopLiveness {

  private final Duration stallAfter;
  private final LongSupplier nanoTime;
  private long lastActivity;

  PollLoopLiveness(Duration stallAfter, LongSupplier nanoTime) {
    this.stallAfter = stallAfter;
    this.nanoTime = nanoTime;
    this.lastActivity = nanoTime.getAsLong();
  }

  /** A receive started or ended, a backoff ended, or a job finished. */
  void touched() {
    lastActivity = nanoTime.getAsLong();
  }

  Duration sinceActivity() {
    return Duration.ofNanos(nanoTime.getAsLong() - lastActivity);
  }

  /** Stalled: a slot is free, yet nothing has happened for longer than any step of the loop can take. */
  boolean stalled(int freeSlots) {
    return freeSlots > 0 && sinceActivity().compareTo(stallAfter) > 0;
  }

  Duration stallAfter() {
    return stallAfter;
  }
}
