package dev.imagery.api.wait;

import dev.imagery.api.http.ApiException;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ImageStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The long poll of {@code GET /image/{id}?waitFor=STATE&timeout=S}: answers as soon as the image is in the state
 * waited for, or final (a {@code failed} image never becomes {@code processed}), or when {@code timeout} seconds
 * have passed, with the record as it then is. A client learns of the change within a fraction of a second without
 * polling in a tight loop itself.
 *
 * <p>Why re-reading DynamoDB rather than a notification: the worker that commits the change is another process, on
 * another host, and DynamoDB is the one place both already share. The wait re-reads the record (a consistent
 * GetItem) after 50 ms, then 1.5x longer each time, at most every 500 ms, so a 20 s wait costs about 45 reads, and
 * it stops as soon as the client has gone. Timers only: nothing blocks the event loop.
 */
public final class StateWait {

  /** The longest wait a client may ask for: well under the load balancer's idle timeout (110 s). */
  public static final Duration MAX_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(20);
  private static final long FIRST_DELAY_MS = 50;
  private static final long MAX_DELAY_MS = 500;

  private final Vertx vertx;
  private final ImageStore store;

  public StateWait(Vertx vertx, ImageStore store) {
    this.vertx = vertx;
    this.store = store;
  }

  /** What a client asked to wait for: the states that end the wait, and for how long at most. */
  public record Request(Set<ImageState> until, Duration timeout) {

    /**
     * Parses {@code waitFor} ({@code uploaded}, {@code processed}, {@code failed} or {@code final}) and {@code timeout}
     * (seconds, 1 to {@link #MAX_TIMEOUT}; 20 when absent).
     *
     * @throws ApiException 400 on a value outside those
     */
    public static Request parse(String waitFor, String timeout) {
      Set<ImageState> until = switch (waitFor.toLowerCase(Locale.ROOT)) {
        case "final" -> Set.of(ImageState.PROCESSED, ImageState.FAILED);
        case "uploaded" -> Set.of(ImageState.UPLOADED, ImageState.PROCESSED, ImageState.FAILED);
        case "processed" -> Set.of(ImageState.PROCESSED, ImageState.FAILED);
        case "failed" -> Set.of(ImageState.FAILED, ImageState.PROCESSED);
        default -> throw new ApiException(400, "INVALID_WAIT_FOR",
            "waitFor is one of uploaded, processed, failed, final; got '" + waitFor + "'");
      };
      return new Request(until, timeout == null ? DEFAULT_TIMEOUT : seconds(timeout));
    }

    private static Duration seconds(String value) {
      try {
        long seconds = Long.parseLong(value.trim());
        if (seconds >= 1 && seconds <= MAX_TIMEOUT.toSeconds()) {
          return Duration.ofSeconds(seconds);
        }
      } catch (NumberFormatException e) {
        // answered below
      }
      throw new ApiException(400, "INVALID_TIMEOUT",
          "timeout is a number of seconds from 1 to " + MAX_TIMEOUT.toSeconds() + "; got '" + value + "'");
    }
  }

  /**
   * The record of {@code id} once it is in one of {@code request.until()}, or as it is when the timeout passes or
   * {@code gone} turns true (the client closed the connection). Fails as {@link ImageStore#get} does.
   */
  public Future<ImageRecord> await(String id, Request request, BooleanSupplier gone) {
    long deadline = System.nanoTime() + request.timeout().toNanos();
    Promise<ImageRecord> answer = Promise.promise();
    check(id, request, gone, deadline, FIRST_DELAY_MS, answer);
    return answer.future();
  }

  private void check(String id, Request request, BooleanSupplier gone, long deadline, long delayMs,
                     Promise<ImageRecord> answer) {
    store.get(id).onComplete(read -> {
      if (read.failed()) {
        answer.tryFail(read.cause());
        return;
      }
      ImageRecord record = read.result();
      long leftMs = (deadline - System.nanoTime()) / 1_000_000;
      // A deleting image reaches no other state: the wait ends with it, as with a final one.
      if (request.until().contains(record.state()) || record.state() == ImageState.DELETING || leftMs <= 0
          || gone.getAsBoolean()) {
        answer.tryComplete(record);
        return;
      }
      vertx.setTimer(Math.max(1, Math.min(delayMs, leftMs)),
          t -> check(id, request, gone, deadline, Math.min(MAX_DELAY_MS, delayMs * 3 / 2), answer));
    });
  }
}
