package dev.imagery.api.auth;

import dev.imagery.shared.config.ImageryConfig;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The per-caller limits of one API instance, in memory: requests per second (a token bucket: {@code burst} requests
 * at once, refilled at {@code requestsPerSecond}) and uploads in progress at once. Each replica counts on its own,
 * so a caller spread over N replicas by the load balancer gets up to N times the limits; what they stop is one caller
 * taking a replica's upload budget or event loop from the others.
 *
 * <p>A caller's state is dropped once it is idle (bucket full, no upload running), by {@link #sweep()}. At most
 * {@link #MAX_TRACKED} callers are tracked at once; callers beyond that, while the table is full, share one state,
 * so a flood of distinct callers (client addresses, without authentication) cannot grow the table without bound: it
 * only makes those newcomers share a limit.
 *
 * <p>Hand-written rather than a rate-limiting library: a bucket is two numbers, and what needs care here (the
 * bounded table, uploads counted beside the rate, the Retry-After) is ours either way.
 */
public final class CallerLimits {

  static final int MAX_TRACKED = 100_000;
  private static final String OVERFLOW = "(overflow)";

  private final ImageryConfig.CallerLimits limits;
  private final LongSupplier nanoTime;
  private final Map<String, State> states = new ConcurrentHashMap<>();

  public CallerLimits(ImageryConfig.CallerLimits limits) {
    this(limits, System::nanoTime);
  }

  CallerLimits(ImageryConfig.CallerLimits limits, LongSupplier nanoTime) {
    this.limits = limits;
    this.nanoTime = nanoTime;
  }

  /** One caller's bucket and uploads. */
  private final class State {
    private double tokens = limits.burst();
    private long refilledAt = nanoTime.getAsLong();
    private int uploads;

    /** Refills for the time since the last call; the tokens are never more than the burst. */
    private void refill(long now) {
      double perNano = limits.requestsPerSecond() / 1e9;
      tokens = Math.min(limits.burst(), tokens + (now - refilledAt) * perNano);
      refilledAt = now;
    }

    private boolean idle(long now) {
      refill(now);
      return uploads == 0 && tokens >= limits.burst();
    }
  }

  /** A refusal: how long the caller should wait before trying again, in whole seconds (at least 1). */
  public record Refused(long retryAfterSeconds) {
  }

  /** Counts one request of {@code key}; empty when admitted, else how long to wait. */
  public Optional<Refused> admitRequest(String key) {
    if (!limits.rateLimited()) {
      return Optional.empty();
    }
    State state = state(key);
    synchronized (state) {
      long now = nanoTime.getAsLong();
      state.refill(now);
      if (state.tokens >= 1) {
        state.tokens -= 1;
        return Optional.empty();
      }
      double waitSeconds = (1 - state.tokens) / limits.requestsPerSecond();
      return Optional.of(new Refused(Math.max(1, (long) Math.ceil(waitSeconds))));
    }
  }

  /**
   * Starts an upload of {@code key}: the {@link Runnable} that ends it (call it exactly once, when the request is
   * done, whatever its outcome), or empty when the caller already has the most uploads running.
   */
  public Optional<Runnable> startUpload(String key) {
    if (!limits.uploadsLimited()) {
      return Optional.of(() -> { });
    }
    State state = state(key);
    synchronized (state) {
      if (state.uploads >= limits.maxConcurrentUploads()) {
        return Optional.empty();
      }
      state.uploads++;
    }
    boolean[] ended = {false};
    return Optional.of(() -> {
      synchronized (state) {
        if (!ended[0]) {
          ended[0] = true;
          state.uploads--;
        }
      }
    });
  }

  /** Forgets the callers that are idle; run it periodically. */
  public void sweep() {
    long now = nanoTime.getAsLong();
    states.entrySet().removeIf(entry -> {
      synchronized (entry.getValue()) {
        return entry.getValue().idle(now);
      }
    });
  }

  /** How many callers are tracked now (for tests). */
  int tracked() {
    return states.size();
  }

  private State state(String key) {
    State known = states.get(key);
    if (known != null) {
      return known;
    }
    String tracked = states.size() >= MAX_TRACKED ? OVERFLOW : key;
    return states.computeIfAbsent(tracked, k -> new State());
  }

  /** How often the API sweeps idle callers away. */
  public static final long SWEEP_INTERVAL_MS = TimeUnit.MINUTES.toMillis(1);
}
