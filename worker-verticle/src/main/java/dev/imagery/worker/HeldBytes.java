package dev.imagery.worker;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The bytes a worker's jobs hold outside the image pipeline's own estimate (the {@code MemoryBudget}): uploads read
 * into memory, waiting for a thread of the image pool or in it, and results waiting to be stored. With more jobs in
 * flight than pool threads ({@code IMAGERY_WORKER_MAX_IN_FLIGHT}), that many uploads of up to
 * {@code IMAGERY_MAX_UPLOAD_BYTES} each could otherwise sit in the heap at once beside the decoded images.
 *
 * <p>A job asks for its upload's size before it downloads it and waits, first come first served, while what is held
 * leaves no room; with nothing held, the first in line is admitted whatever its size, so no upload waits forever.
 * Once processed, the job holds its results' size instead (without waiting: they exist already), until they are
 * stored. Confined to the verticle's context: no locks, and grants complete there.
 */
final class HeldBytes {

  private final long capacity;
  private final Deque<Waiter> waiting = new ArrayDeque<>();
  private long held;
  private int holders;

  private record Waiter(long bytes, Promise<Lease> granted) {
  }

  /** @param capacityBytes what all jobs may hold at once, besides one job's upload of any size */
  HeldBytes(long capacityBytes) {
    if (capacityBytes <= 0) {
      throw new IllegalArgumentException("the capacity must be positive: " + capacityBytes);
    }
    this.capacity = capacityBytes;
  }

  /**
   * A sixth of the heap: the memory budget takes two thirds by default, and the rest is also for the SDK's, Netty's
   * and Vert.x's buffers and the objects of the jobs in flight. At least 16 MiB.
   */
  static long defaultCapacity(long maxHeapBytes) {
    return Math.max(16L * 1024 * 1024, maxHeapBytes / 6);
  }

  long capacityBytes() {
    return capacity;
  }

  /** Completes, on this context, once {@code bytes} fit beside what the jobs before it hold. */
  Future<Lease> acquire(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must not be negative: " + bytes);
    }
    Promise<Lease> granted = Promise.promise();
    waiting.add(new Waiter(bytes, granted));
    grant();
    return granted.future();
  }

  /** What is held now, in bytes. */
  long heldBytes() {
    return held;
  }

  /** Jobs holding bytes now. */
  int holders() {
    return holders;
  }

  /** Jobs waiting for room now. */
  int waiting() {
    return waiting.size();
  }

  private void grant() {
    List<Waiter> admitted = new ArrayList<>();
    while (!waiting.isEmpty() && (holders == 0 || waiting.peek().bytes() <= capacity - held)) {
      Waiter next = waiting.poll();
      held += next.bytes();
      holders++;
      admitted.add(next);
    }
    // Completed after the queue is consistent: a grant runs the job's next steps at once, which may come back here.
    admitted.forEach(waiter -> waiter.granted().complete(new Lease(waiter.bytes())));
  }

  /** One job's share; {@link #close()} gives it back. */
  final class Lease {

    private long bytes;
    private boolean open = true;

    private Lease(long bytes) {
      this.bytes = bytes;
    }

    /** Holds {@code newBytes} from now on instead; never waits (what a job has made, it holds already). */
    void resize(long newBytes) {
      if (!open) {
        return;
      }
      held += newBytes - bytes;
      bytes = newBytes;
      grant();
    }

    /** Gives it all back; idempotent. */
    void close() {
      if (!open) {
        return;
      }
      resize(0);
      open = false;
      holders--;
      grant();
    }
  }
}
