package dev.imagery.shared.provision;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Future plumbing shared by the provisioners: no blocking, every failure unwrapped to the SDK exception. */
final class Calls {

  private static final Logger LOG = LoggerFactory.getLogger(Calls.class);

  private Calls() {
  }

  /** Turns a synchronous throw from request building into a failed future, so every path composes alike. */
  static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> request) {
    try {
      return request.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The SDK exception under the CompletionException / ExecutionException wrappers. */
  static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  static CompletionException rethrow(Throwable error) {
    return new CompletionException(unwrap(error));
  }

  /**
   * Runs {@code request}; completes with empty when it succeeded, or with the refusal (e.g. "501 NotImplemented")
   * when the endpoint does not implement the operation at all. Any other failure fails the future.
   */
  static CompletableFuture<Optional<String>> unlessUnimplemented(Supplier<? extends CompletableFuture<?>> request) {
    return Calls.<Object>call(() -> request.get().thenApply(done -> done)).handle((ignored, error) -> {
      if (error == null) {
        return Optional.<String>empty();
      }
      Throwable cause = unwrap(error);
      if (unimplemented(cause)) {
        AwsServiceException service = (AwsServiceException) cause;
        return Optional.of(service.statusCode() + " " + service.awsErrorDetails().errorCode());
      }
      throw new CompletionException(cause);
    });
  }

  /**
   * The two ways the emulators say "this operation does not exist here", and nothing else: S3Proxy answers
   * 501 NotImplemented, DynamoDB Local 400 UnknownOperationException. Real S3 and DynamoDB implement every
   * operation the provisioners call, so on AWS this never matches and no error is ever swallowed there.
   */
  static boolean unimplemented(Throwable error) {
    if (!(error instanceof AwsServiceException service) || service.awsErrorDetails() == null) {
      return false;
    }
    String code = service.awsErrorDetails().errorCode();
    if (service instanceof S3Exception) {
      return service.statusCode() == 501 && "NotImplemented".equals(code);
    }
    if (service instanceof DynamoDbException) {
      return service.statusCode() == 400 && "UnknownOperationException".equals(code);
    }
    return false;
  }

  /**
   * Repeats {@code request} every {@code interval} while it fails with a {@code retryable} error, for at most
   * {@code within}; then fails with the last error. Waits on the JDK's delayed executor, never on a thread.
   */
  static <T> CompletableFuture<T> retry(Supplier<CompletableFuture<T>> request, Predicate<Throwable> retryable,
      Duration interval, Duration within, String what) {
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(request, retryable, interval, System.nanoTime() + within.toNanos(), what, 1, result);
    return result;
  }

  private static <T> void attempt(Supplier<CompletableFuture<T>> request, Predicate<Throwable> retryable,
      Duration interval, long deadline, String what, int attempt, CompletableFuture<T> result) {
    call(request).whenComplete((value, error) -> {
      if (error == null) {
        result.complete(value);
        return;
      }
      Throwable cause = unwrap(error);
      if (!retryable.test(cause) || System.nanoTime() + interval.toNanos() > deadline) {
        result.completeExceptionally(cause);
        return;
      }
      LOG.debug("{}: attempt {} refused ({}), again in {}", what, attempt, cause.toString(), interval);
      CompletableFuture.delayedExecutor(interval.toMillis(), TimeUnit.MILLISECONDS).execute(
          () -> attempt(request, retryable, interval, deadline, what, attempt + 1, result));
    });
  }
}
