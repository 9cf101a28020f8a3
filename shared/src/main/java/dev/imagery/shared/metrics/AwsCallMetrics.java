package dev.imagery.shared.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter.MeterProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.metrics.SdkMetric;

/**
 * The AWS SDK's own measurements of each call, into Micrometer: the call's duration (all attempts and backoffs) by
 * service, operation and outcome, and each failed attempt by the SDK's error type: Throttling; ServerError, which
 * the SDK gives any error answer of the service, 4xx included (a condition that fails on purpose, such as the
 * {@code ConditionalCheckFailedException} by which the store learns of a race, is one); ConfiguredTimeout; IO; Other.
 *
 * <p>The SDK calls {@link #publish} once per call, on the thread that completes it (an SDK thread, never a Vert.x
 * event loop of ours); recording is lock-free.
 */
public final class AwsCallMetrics implements MetricPublisher {

  private final MeterProvider<Timer> calls;
  private final MeterProvider<Counter> attemptErrors;

  public AwsCallMetrics(MeterRegistry registry) {
    this.calls = Timer.builder("imagery.aws.call.duration")
        .description("AWS SDK calls, from the first attempt to the outcome (retries and backoffs included)")
        .withRegistry(registry);
    this.attemptErrors = Counter.builder("imagery.aws.call.attempt.errors")
        .description("Failed attempts of AWS SDK calls (each retry's cause, and the last one's), by SDK error type")
        .withRegistry(registry);
  }

  @Override
  public void publish(MetricCollection call) {
    String service = first(call, CoreMetric.SERVICE_ID, "unknown");
    String operation = first(call, CoreMetric.OPERATION_NAME, "unknown");
    Tags tags = Tags.of("service", service, "operation", operation);
    boolean succeeded = Boolean.TRUE.equals(first(call, CoreMetric.API_CALL_SUCCESSFUL, Boolean.FALSE));
    Duration duration = first(call, CoreMetric.API_CALL_DURATION, null);
    if (duration != null) {
      calls.withTags(tags.and("outcome", succeeded ? "success" : "error")).record(duration);
    }
    call.childrenWithName("ApiCallAttempt").forEach(attempt ->
        attempt.metricValues(CoreMetric.ERROR_TYPE).forEach(type -> attemptErrors.withTags(tags.and("type", type))
            .increment()));
  }

  @Override
  public void close() {
    // The registry outlives the clients; nothing of ours to release.
  }

  private static <T> T first(MetricCollection collection, SdkMetric<T> metric, T otherwise) {
    List<T> values = collection.metricValues(metric);
    return values.isEmpty() ? otherwise : values.get(0);
  }
}
