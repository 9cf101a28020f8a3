package dev.imagery.api.upload;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * The uploads' own metrics: the size of each file stored, the time its bytes took to stream from the client into S3,
 * and the upload budget. The whole request (budget wait, S3, the DynamoDB write and the SQS send) is Vert.x's
 * {@code vertx_http_server_response_time_seconds{route="/image/:id/upload"}}.
 */
public final class UploadMetrics {

  private final DistributionSummary size;
  private final Timer stored;
  private final Timer notStored;

  public UploadMetrics(MeterRegistry registry, UploadBudget budget) {
    size = DistributionSummary.builder("imagery.upload.size")
        .description("Size of each uploaded file stored in S3")
        .baseUnit("bytes")
        .register(registry);
    stored = duration(registry, "stored");
    notStored = duration(registry, "failed");
    Gauge.builder("imagery.upload.budget", budget::capacity)
        .description("What all uploads of this API instance may hold in memory (IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES)")
        .baseUnit("bytes")
        .register(registry);
    // Read at scrape time from another thread: a slightly stale value is all a gauge needs.
    Gauge.builder("imagery.upload.budget.reserved", budget::reserved)
        .description("The part of the upload budget that uploads hold now")
        .baseUnit("bytes")
        .register(registry);
  }

  private static Timer duration(MeterRegistry registry, String outcome) {
    return Timer.builder("imagery.upload.duration")
        .description("From the file part's first bytes to S3's answer (stored), or to the upload's failure (413, the "
            + "client gone, S3 down)")
        .tag("outcome", outcome)
        .register(registry);
  }

  void stored(long bytes, long nanos) {
    size.record(bytes);
    stored.record(nanos, TimeUnit.NANOSECONDS);
  }

  void failed(long nanos) {
    notStored.record(nanos, TimeUnit.NANOSECONDS);
  }
}
