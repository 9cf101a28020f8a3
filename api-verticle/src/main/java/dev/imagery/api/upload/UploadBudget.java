package dev.imagery.api.upload;

import dev.imagery.api.http.ApiException;
import dev.imagery.shared.logging.LogContext;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The memory all uploads of this API instance may hold at once ({@code IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES}). Each
 * upload holds S3 parts for retry while it streams, up to {@code AwsClients.UPLOAD_BUFFER_BYTES}; without a bound, a
 * hundred concurrent uploads would hold 1.5 GB and end in an out-of-memory. An upload reserves its share before a
 * byte of its body is read (the request stays paused meanwhile), and gives it back when its bytes are in S3. With
 * no room, it waits in line up to {@code IMAGERY_UPLOAD_BUDGET_WAIT_MS}, then gets 503 {@code BUSY} with
 * Retry-After; whatever the flood, the process answers 202s and 503s, never an out-of-memory.
 *
 * <p>First come, first served: a large reservation at the head of the line is not overtaken by smaller ones, so it
 * cannot starve. A reservation larger than the whole budget takes all of it. Confined to the verticle's context
 * (one event loop), like the uploads it admits.
 */
public final class UploadBudget {

  private final Vertx vertx;
  private final long capacity;
  private final Duration maxWait;
  private final Deque<Waiter> line = new ArrayDeque<>();
  private long reserved;

  public UploadBudget(Vertx vertx, long capacity, Duration maxWait) {
    this.vertx = vertx;
    this.capacity = capacity;
    this.maxWait = maxWait;
  }

  /** Room for one upload, held until {@link Reservation#release()}. */
  public final class Reservation {
    private final long bytes;
    private boolean released;

    private Reservation(long bytes) {
      this.bytes = bytes;
    }

    /** Gives the room back; idempotent. */
    public void release() {
      if (!released) {
        released = true;
        reserved -= bytes;
        admitWaiting();
      }
    }
  }

  private record Waiter(long bytes, Promise<Reservation> admitted, long[] timer) {
  }

  /** Reserves {@code bytes} (at most the whole budget); fails with a 503 {@code BUSY} after the wait. */
  public Future<Reservation> reserve(long bytes) {
    long need = Math.max(1, Math.min(bytes, capacity));
    if (line.isEmpty() && reserved + need <= capacity) {
      reserved += need;
      return Future.succeededFuture(new Reservation(need));
    }
    // Bound to this request's context: another request's release admits it, and this upload must not go on with
    // that request's context (its log fields, its SDK callbacks).
    Waiter waiter = new Waiter(need, LogContext.boundPromise(), new long[1]);
    line.add(waiter);
    waiter.timer()[0] = vertx.setTimer(maxWait.toMillis(), t -> {
      if (line.remove(waiter)) {
        waiter.admitted().fail(busy());
        admitWaiting(); // the head may have been the one blocking the others
      }
    });
    return waiter.admitted().future();
  }

  /** Bytes reserved now; for tests and logs. */
  public long reserved() {
    return reserved;
  }

  public long capacity() {
    return capacity;
  }

  private void admitWaiting() {
    while (!line.isEmpty() && reserved + line.peek().bytes() <= capacity) {
      Waiter next = line.poll();
      vertx.cancelTimer(next.timer()[0]);
      reserved += next.bytes();
      next.admitted().complete(new Reservation(next.bytes()));
    }
  }

  private ApiException busy() {
    return new ApiException(503, "BUSY", "this server is taking as many uploads as its memory allows ("
        + capacity / (1024 * 1024) + " MiB of upload buffers); retry in a few seconds");
  }
}
