package dev.imagery.api.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Writes a publisher's bytes (an S3 object) to an HTTP response, one chunk at a time and only when the
 * response's write queue has room, so a slow client holds back S3 instead of filling memory. The SDK calls in
 * on its own threads; every response operation runs on the request's context, in arrival order.
 */
public final class ResponseWriter implements Subscriber<ByteBuffer> {

  private final Context context;
  private final HttpServerResponse response;
  private final Promise<Void> done;
  private Subscription subscription;

  private ResponseWriter(Context context, HttpServerResponse response) {
    this.context = context;
    this.response = response;
    this.done = Promise.promise();
  }

  /** Streams {@code body} into {@code response}, whose status and headers are set; completes once it ended. */
  public static Future<Void> write(Context context, HttpServerResponse response,
                                   org.reactivestreams.Publisher<ByteBuffer> body) {
    ResponseWriter writer = new ResponseWriter(context, response);
    body.subscribe(writer);
    return writer.done.future();
  }

  @Override
  public void onSubscribe(Subscription s) {
    subscription = s;
    context.runOnContext(v -> {
      response.closeHandler(closed -> {
        s.cancel();
        done.tryFail(new HttpClosedException("the client closed the connection during the download"));
      });
      s.request(1);
    });
  }

  @Override
  public void onNext(ByteBuffer chunk) {
    byte[] bytes = new byte[chunk.remaining()];
    chunk.get(bytes);
    context.runOnContext(v -> {
      if (done.future().isComplete()) {
        return;
      }
      response.write(Buffer.buffer(bytes));
      if (response.writeQueueFull()) {
        response.drainHandler(drained -> subscription.request(1));
      } else {
        subscription.request(1);
      }
    });
  }

  @Override
  public void onError(Throwable err) {
    context.runOnContext(v -> done.tryFail(err));
  }

  @Override
  public void onComplete() {
    context.runOnContext(v -> {
      if (!done.future().isComplete()) {
        response.end().onComplete(done);
      }
    });
  }
}
