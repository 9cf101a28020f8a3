package dev.imagery.shared.aws;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * The one bridge from AWS SDK futures to Vert.x futures. SDK futures complete on the SDK's own threads; handlers
 * chained on the result must run on the caller's Vert.x context (its event loop), never on those threads.
 */
public final class SdkFutures {

  private SdkFutures() {
  }

  /**
   * Starts an SDK call and returns its outcome on the caller's context. A call that throws before returning its
   * future (a validation error, say) becomes a failed future too.
   */
  public static <T> Future<T> call(Vertx vertx, Supplier<CompletableFuture<T>> sdkCall) {
    CompletableFuture<T> cf;
    try {
      cf = sdkCall.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return Future.fromCompletionStage(cf, vertx.getOrCreateContext())
        .recover(err -> Future.failedFuture(unwrap(err)));
  }

  /** The SDK wraps its exceptions in CompletionException; callers match on the real cause. */
  public static Throwable unwrap(Throwable err) {
    Throwable current = err;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }
}
