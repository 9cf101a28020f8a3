package dev.imagery.shared.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;

/**
 * Fixed Prometheus histogram buckets for the timings and sizes dashboards show as latency percentiles (computed by
 * Prometheus with histogram_quantile): Imagery's own and Vert.x's HTTP response times and pool timings. A handful of
 * explicit buckets per series, instead of Micrometer's 70-odd percentile buckets, keeps a scrape small.
 */
final class HistogramBuckets implements MeterFilter {

  /** 1 ms to 1 h: an HTTP request, an AWS call, a stage of a job, and a job's wait in a backlog all fit. */
  private static final double[] SECONDS = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600};

  /** 1 KiB to 100 MiB: uploads, up to and past the default limit of 50 MiB. */
  private static final double[] BYTES = {
      1 << 10, 10 << 10, 100 << 10, 1 << 20, 5 << 20, 10 << 20, 25 << 20, 50 << 20, 100 << 20};

  /** Receives of one job (SQS's ApproximateReceiveCount). */
  private static final double[] RECEIVES = {1, 2, 3, 4, 5, 10};

  @Override
  public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
    String name = id.getName();
    if (id.getType() == Meter.Type.TIMER && (name.startsWith("imagery.") || name.equals("vertx.http.server.response.time")
        || name.startsWith("vertx.pool."))) {
      return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos(SECONDS)).build().merge(config);
    }
    if (id.getType() == Meter.Type.DISTRIBUTION_SUMMARY && name.startsWith("imagery.")) {
      double[] buckets = "bytes".equals(id.getBaseUnit()) ? BYTES : RECEIVES;
      return DistributionStatisticConfig.builder().serviceLevelObjectives(buckets).build().merge(config);
    }
    return config;
  }

  /** Timers take their buckets in nanoseconds, whatever unit they are published in. */
  private static double[] nanos(double[] seconds) {
    double[] nanos = new double[seconds.length];
    for (int i = 0; i < seconds.length; i++) {
      nanos[i] = seconds[i] * 1e9;
    }
    return nanos;
  }
}
