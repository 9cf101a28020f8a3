package dev.imagery.api.upload;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The bytes of one uploaded file as a Reactive Streams publisher for the S3 client: the head already read for
 * sniffing, then the rest of the (paused) upload stream, pulled only as fast as S3 asks for it.
 *
 * <p>Each element is a batch of up to {@link #BATCH_BYTES} bytes, not one HTTP chunk (8 KiB): the SDK asks for one
 * element at a time and pays for each (its splitter's bookkeeping, a hop onto our context per request), so a batch
 * of 32 chunks costs what one chunk did. The chunks are copied into the batch, the one copy this class makes; a
 * handed-over batch is never written again (the SDK keeps it by reference for a retry of its part). While a batch is
 * wanted the stream flows; it pauses when a full batch finds no demand, so an upload holds at most the SDK's part
 * buffer, one batch and one chunk.
 *
 * <p>One-shot: the socket cannot be replayed, so a second subscriber (an SDK retry re-subscribing to the body)
 * gets an error instead of the remainder of the stream, which would store a corrupt object. Every interaction
 * with the Vert.x stream runs on its context. A stream error, or more bytes than allowed, ends the publisher
 * with an error, never with a normal completion that would store a truncated object.
 */
public final class UploadPublisher implements Publisher<ByteBuffer> {

  /**
   * Bytes per element. 256 KiB measured best of 64 KiB to 1 MiB (docs/benchmarks.md); it divides the 5 MiB part
   * evenly and stays under G1's humongous-object size on small heaps (half a 1 MiB region).
   */
  public static final int BATCH_BYTES = 256 * 1024;

  private final Context context;
  private final Buffer head;
  private final ReadStream<Buffer> rest;
  private final long maxBytes;
  private final int batchBytes;
  private final MessageDigest sha256;
  private final AtomicBoolean subscribed = new AtomicBoolean();

  // Confined to the context.
  private Subscriber<? super ByteBuffer> subscriber;
  private long demand;
  private boolean started;
  private boolean restEnded;
  private boolean flowing;
  private boolean finished;
  private byte[] batch;
  private int batchLength;
  /** The rest of a chunk that did not fit in a full batch nobody asked for yet. */
  private Buffer pending;
  private long size;
  private Throwable failure;

  /** {@code restEnded}: the stream already ended while its head was read (a file shorter than the head). */
  public UploadPublisher(Context context, Buffer head, ReadStream<Buffer> rest, boolean restEnded, long maxBytes) {
    this(context, head, rest, restEnded, maxBytes, BATCH_BYTES);
  }

  UploadPublisher(Context context, Buffer head, ReadStream<Buffer> rest, boolean restEnded, long maxBytes,
                  int batchBytes) {
    if (batchBytes <= 0) {
      throw new IllegalArgumentException("batchBytes must be positive, got " + batchBytes);
    }
    this.context = context;
    this.head = head;
    this.rest = rest;
    this.restEnded = restEnded;
    this.maxBytes = maxBytes;
    this.batchBytes = batchBytes;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public void subscribe(Subscriber<? super ByteBuffer> s) {
    Objects.requireNonNull(s, "subscriber");
    if (!subscribed.compareAndSet(false, true)) {
      s.onSubscribe(new Subscription() {
        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
        }
      });
      s.onError(new IllegalStateException("an upload stream can be read once; it cannot be replayed for a retry"));
      return;
    }
    context.runOnContext(v -> attach(s));
  }

  /** Bytes received so far; the file's size once the publisher completed. */
  public long size() {
    return size;
  }

  /** Hex SHA-256 of the published bytes; meaningful once the publisher completed. */
  public String sha256Hex() {
    return HexFormat.of().formatHex(sha256.digest());
  }

  /** Why the publisher failed, when it did: takes precedence over the SDK's wrapping of it. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  private void attach(Subscriber<? super ByteBuffer> s) {
    subscriber = s;
    if (!restEnded) {
      // An ended request refuses handlers ("already been read"): a file shorter than its head is all in the head.
      rest.handler(this::onChunk);
      rest.exceptionHandler(this::fail);
      rest.endHandler(v -> {
        restEnded = true;
        flowing = false;
        drain();
      });
    }
    s.onSubscribe(new Subscription() {
      @Override
      public void request(long n) {
        context.runOnContext(v -> demand(n));
      }

      @Override
      public void cancel() {
        context.runOnContext(v -> {
          if (!finished) {
            finish();
          }
        });
      }
    });
    // Known before anything is asked for: say so at once, as Reactive Streams allows without demand.
    if (head.length() > maxBytes) {
      fail(new PayloadTooLargeException(maxBytes));
    } else if (restEnded && head.length() == 0) {
      complete();
    }
  }

  private void demand(long n) {
    if (finished) {
      return;
    }
    if (n <= 0) {
      fail(new IllegalArgumentException("Reactive Streams rule 3.9: request must be positive, got " + n));
      return;
    }
    demand = Long.MAX_VALUE - demand < n ? Long.MAX_VALUE : demand + n; // rule 3.17: saturate, never overflow
    if (!started) {
      started = true;
      if (!accept(head)) {
        return;
      }
    }
    drain();
  }

  private void onChunk(Buffer chunk) {
    if (!finished && accept(chunk)) {
      drain();
    }
  }

  /** Counts {@code chunk} against the limit and stages it; false when that failed the publisher. */
  private boolean accept(Buffer chunk) {
    size += chunk.length();
    if (size > maxBytes) {
      fail(new PayloadTooLargeException(maxBytes));
      return false;
    }
    if (pending != null) {
      // Only if the stream delivered past its pause; kept, in order, for the next batch.
      pending = Buffer.buffer(pending.length() + chunk.length()).appendBuffer(pending).appendBuffer(chunk);
    } else {
      stage(chunk);
    }
    return true;
  }

  /** Copies as much of {@code chunk} as the batch holds; the rest waits in {@link #pending}. */
  private void stage(Buffer chunk) {
    if (batch == null) {
      batch = new byte[batchBytes];
    }
    int taken = Math.min(chunk.length(), batchBytes - batchLength);
    chunk.getBytes(0, taken, batch, batchLength);
    batchLength += taken;
    if (taken < chunk.length()) {
      pending = chunk.slice(taken, chunk.length());
    }
  }

  /** Hands over every batch that is ready, as far as demand goes, then lets the stream flow or pauses it. */
  private void drain() {
    while (!finished && demand > 0 && (batchLength == batchBytes || restEnded && batchLength > 0)) {
      emit();
      if (pending != null) {
        Buffer rest = pending;
        pending = null;
        stage(rest);
      }
    }
    if (finished) {
      return;
    }
    if (restEnded) {
      if (batchLength == 0) {
        complete();
      }
      return;
    }
    // Read ahead while the batch being filled has room; a full one waits for demand with the stream paused.
    flow(batchLength < batchBytes && started);
  }

  private void emit() {
    byte[] bytes = batch;
    int length = batchLength;
    batch = null;
    batchLength = 0;
    demand--;
    sha256.update(bytes, 0, length);
    subscriber.onNext(ByteBuffer.wrap(bytes, 0, length));
  }

  private void flow(boolean on) {
    if (on == flowing) {
      return;
    }
    // Set first: resume() may deliver queued chunks at once, and they come back here.
    flowing = on;
    if (on) {
      rest.resume();
    } else {
      rest.pause();
    }
  }

  private void complete() {
    if (!finished) {
      Subscriber<? super ByteBuffer> s = subscriber;
      finish();
      s.onComplete();
    }
  }

  private void fail(Throwable err) {
    if (!finished) {
      Subscriber<? super ByteBuffer> s = subscriber;
      failure = err;
      finish();
      s.onError(err);
    }
  }

  /** Terminal: nothing more is read or signalled, and the subscriber is let go (rule 3.13). */
  private void finish() {
    finished = true;
    subscriber = null;
    batch = null;
    pending = null;
    if (!restEnded) {
      // Nothing will read the remaining bytes here; whoever handles the outcome decides what to do with them.
      flowing = false;
      rest.pause();
    }
  }
}
