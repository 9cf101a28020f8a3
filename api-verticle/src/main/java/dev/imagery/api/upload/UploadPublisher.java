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
 * <p>One-shot: the socket cannot be replayed, so a second subscriber (an SDK retry re-subscribing to the body)
 * gets an error instead of the remainder of the stream, which would store a corrupt object. Every interaction
 * with the Vert.x stream runs on its context. A stream error, or more bytes than allowed, ends the publisher
 * with an error, never with a normal completion that would store a truncated object.
 */
public final class UploadPublisher implements Publisher<ByteBuffer> {

  private final Context context;
  private final Buffer head;
  private final ReadStream<Buffer> rest;
  private final boolean restEnded;
  private final long maxBytes;
  private final MessageDigest sha256;
  private final AtomicBoolean subscribed = new AtomicBoolean();

  // Confined to the context.
  private Subscriber<? super ByteBuffer> subscriber;
  private boolean headSent;
  private boolean finished;
  private long size;
  private Throwable failure;

  /** {@code restEnded}: the stream already ended while its head was read (a file shorter than the head). */
  public UploadPublisher(Context context, Buffer head, ReadStream<Buffer> rest, boolean restEnded, long maxBytes) {
    this.context = context;
    this.head = head;
    this.rest = rest;
    this.restEnded = restEnded;
    this.maxBytes = maxBytes;
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

  /** Bytes published so far; the file's size once the publisher completed. */
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
    rest.handler(this::publish);
    rest.exceptionHandler(this::fail);
    rest.endHandler(v -> complete());
    s.onSubscribe(new Subscription() {
      @Override
      public void request(long n) {
        context.runOnContext(v -> demand(n));
      }

      @Override
      public void cancel() {
        context.runOnContext(v -> {
          finished = true;
          // Nothing will read the remaining bytes; stop pulling them from the socket.
          rest.pause();
        });
      }
    });
  }

  private void demand(long n) {
    if (finished) {
      return;
    }
    if (n <= 0) {
      fail(new IllegalArgumentException("Reactive Streams rule 3.9: request must be positive, got " + n));
      return;
    }
    long remaining = n;
    if (!headSent) {
      headSent = true;
      remaining--;
      if (head.length() > 0) {
        publish(head);
      }
      if (restEnded) {
        complete();
      }
    }
    if (remaining > 0 && !finished) {
      rest.fetch(remaining);
    }
  }

  private void publish(Buffer chunk) {
    if (finished) {
      return;
    }
    size += chunk.length();
    if (size > maxBytes) {
      rest.pause();
      fail(new PayloadTooLargeException(maxBytes));
      return;
    }
    byte[] bytes = chunk.getBytes();
    sha256.update(bytes);
    subscriber.onNext(ByteBuffer.wrap(bytes));
  }

  private void complete() {
    if (!finished) {
      finished = true;
      subscriber.onComplete();
    }
  }

  private void fail(Throwable err) {
    if (!finished) {
      finished = true;
      failure = err;
      subscriber.onError(err);
    }
  }
}
