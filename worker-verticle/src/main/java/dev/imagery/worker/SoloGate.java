package dev.imagery.worker;

import dev.imagery.shared.logging.LogContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.IntSupplier;

/**
 * Runs suspect jobs alone. A job whose earlier attempts never reported back (their worker died holding it) may
 * take this worker down too, and every other job it holds with it: so it waits until no other job runs, and while it
 * waits or runs, the worker takes no new work. A poison job then costs its neighbours at most the one attempt it
 * killed before anyone knew, and an innocent job that was killed as a neighbour gets its next attempt to itself.
 *
 * <p>One suspect runs at a time, in the order they arrived. The wait is bounded: the jobs running now end within
 * their deadline. Confined to the verticle's context.
 */
final class SoloGate {

  private final IntSupplier jobsInFlight;
  private final Deque<Promise<Void>> waiting = new ArrayDeque<>();
  private boolean soloRunning;

  /** @param jobsInFlight the worker's jobs in flight, suspects waiting here included */
  SoloGate(IntSupplier jobsInFlight) {
    this.jobsInFlight = jobsInFlight;
  }

  /** Completes when the caller may run alone; the caller then must call {@link #soloEnded()} when it ends. */
  Future<Void> awaitAlone() {
    // Bound to this job's context: another job's end grants the turn, and this job must not go on with that job's
    // context (its log fields, its SDK callbacks).
    Promise<Void> turn = LogContext.boundPromise();
    waiting.add(turn);
    grant();
    return turn.future();
  }

  /** The job that ran alone has ended. */
  void soloEnded() {
    soloRunning = false;
    grant();
  }

  /** A job has ended and left the worker's jobs in flight. */
  void jobEnded() {
    grant();
  }

  /** Whether the worker must not take new work now. */
  boolean holdsIntake() {
    return soloRunning || !waiting.isEmpty();
  }

  /** Suspects waiting for their turn; for the liveness details. */
  int waiting() {
    return waiting.size();
  }

  private void grant() {
    if (!soloRunning && !waiting.isEmpty() && jobsInFlight.getAsInt() - waiting.size() <= 0) {
      soloRunning = true;
      waiting.poll().complete();
    }
  }
}
