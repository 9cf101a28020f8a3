package dev.imagery.shared.provision;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.sqs.model.SqsException;

class CallsTest {

  @Test
  void onlyTheEmulatorsNotImplementedAnswersCountAsUnimplemented() {
    assertThat(Calls.unimplemented(s3(501, "NotImplemented"))).isTrue();
    assertThat(Calls.unimplemented(dynamoDb(400, "UnknownOperationException"))).isTrue();

    assertThat(Calls.unimplemented(s3(501, "SomethingElse"))).isFalse();
    assertThat(Calls.unimplemented(s3(400, "NotImplemented"))).isFalse();
    assertThat(Calls.unimplemented(s3(403, "AccessDenied"))).isFalse();
    assertThat(Calls.unimplemented(s3(500, "InternalError"))).isFalse();
    assertThat(Calls.unimplemented(dynamoDb(400, "ValidationException"))).isFalse();
    assertThat(Calls.unimplemented(dynamoDb(400, "AccessDeniedException"))).isFalse();
    assertThat(Calls.unimplemented(dynamoDb(501, "UnknownOperationException"))).isFalse();
    assertThat(Calls.unimplemented(SqsException.builder().statusCode(501)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("NotImplemented").build()).build())).isFalse();
    assertThat(Calls.unimplemented(S3Exception.builder().statusCode(501).build())).isFalse();
    assertThat(Calls.unimplemented(new IllegalStateException("NotImplemented"))).isFalse();
  }

  @Test
  void unlessUnimplementedReportsTheRefusalAndFailsOnAnythingElse() throws Exception {
    assertThat(Calls.unlessUnimplemented(() -> CompletableFuture.completedFuture("done")).get()).isEmpty();
    assertThat(Calls.unlessUnimplemented(() -> CompletableFuture.failedFuture(s3(501, "NotImplemented"))).get())
        .contains("501 NotImplemented");
    assertThat(Calls.unlessUnimplemented(() -> CompletableFuture.failedFuture(
            new CompletionException(dynamoDb(400, "UnknownOperationException")))).get())
        .contains("400 UnknownOperationException");

    AwsServiceException denied = s3(403, "AccessDenied");
    assertThat(Calls.unlessUnimplemented(() -> CompletableFuture.failedFuture(denied)))
        .failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(ExecutionException.class)
        .havingCause().isSameAs(denied);
    IllegalArgumentException thrown = new IllegalArgumentException("bad request");
    assertThat(Calls.unlessUnimplemented(() -> {
      throw thrown;
    })).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class).havingCause().isSameAs(thrown);
  }

  @Test
  void retryRepeatsOnlyRetryableErrorsUntilSuccess() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    CompletableFuture<String> result = Calls.retry(
        () -> attempts.incrementAndGet() < 3
            ? CompletableFuture.failedFuture(dynamoDb(400, "ContinuousBackupsUnavailableException"))
            : CompletableFuture.completedFuture("enabled"),
        error -> error instanceof DynamoDbException, Duration.ofMillis(10), Duration.ofSeconds(10), "test");
    assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo("enabled");
    assertThat(attempts).hasValue(3);

    AtomicInteger once = new AtomicInteger();
    AwsServiceException fatal = s3(403, "AccessDenied");
    assertThat(Calls.retry(() -> {
      once.incrementAndGet();
      return CompletableFuture.<String>failedFuture(fatal);
    }, error -> error instanceof DynamoDbException, Duration.ofMillis(10), Duration.ofSeconds(10), "test"))
        .failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class).havingCause().isSameAs(fatal);
    assertThat(once).hasValue(1);
  }

  @Test
  void retryGivesUpWithTheLastErrorAtTheDeadline() {
    AtomicInteger attempts = new AtomicInteger();
    long started = System.nanoTime();
    CompletableFuture<String> result = Calls.retry(() -> {
      attempts.incrementAndGet();
      return CompletableFuture.failedFuture(dynamoDb(400, "ContinuousBackupsUnavailableException"));
    }, error -> true, Duration.ofMillis(20), Duration.ofMillis(200), "test");
    assertThat(result).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(DynamoDbException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(180));
    assertThat(attempts.get()).isBetween(2, 11);
  }

  private static AwsServiceException s3(int status, String code) {
    return S3Exception.builder().statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).serviceName("S3").build()).build();
  }

  private static AwsServiceException dynamoDb(int status, String code) {
    return DynamoDbException.builder().statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).serviceName("DynamoDb").build()).build();
  }
}
