package dev.imagery.local.bench;

import java.util.Arrays;

/** Latency samples of one benchmark window, in microseconds; thread-safe, small enough to keep every sample. */
final class Latencies {

  private long[] samples = new long[1 << 14];
  private int count;

  synchronized void add(long micros) {
    if (count == samples.length) {
      samples = Arrays.copyOf(samples, count * 2);
    }
    samples[count++] = micros;
  }

  synchronized int count() {
    return count;
  }

  /** The {@code p}-th percentile (0-100) in milliseconds, nearest rank; 0 without samples. */
  synchronized double percentileMs(double p) {
    if (count == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * count);
    return sorted[Math.max(0, Math.min(count, rank) - 1)] / 1000.0;
  }
}
