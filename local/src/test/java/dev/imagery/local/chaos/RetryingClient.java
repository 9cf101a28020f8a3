package dev.imagery.local.chaos;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Poll;
import java.io.UncheckedIOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * A client as a well-behaved application would write it against a fleet of API replicas: each step is retried on
 * connection errors, timeouts and 5xx (waiting at least what Retry-After asks), every retry going to the next
 * replica, until success or a deadline. Any other answer (4xx) is a test failure: an idempotent step repeated must
 * never be refused.
 */
final class RetryingClient {

  private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

  /** One HTTP attempt against the API on {@code port}. */
  @FunctionalInterface
  interface Attempt {
    ApiClient.Response send(int port);
  }

  private final int[] ports;
  private final long deadlineNanos;
  private final AtomicInteger connectionErrors = new AtomicInteger();
  private final AtomicInteger timeouts = new AtomicInteger();
  private final Map<Integer, AtomicInteger> serverErrors = new ConcurrentHashMap<>();
  private final java.util.Queue<String> serverErrorSamples = new java.util.concurrent.ConcurrentLinkedQueue<>();

  RetryingClient(int[] ports, Duration patience) {
    this.ports = ports.clone();
    this.deadlineNanos = System.nanoTime() + patience.toNanos();
  }

  /**
   * Sends {@code attempt} to the replica {@code first} (mod the number of replicas) and then to the next ones until
   * it answers a status {@code done} accepts.
   */
  ApiClient.Response call(String what, int first, Attempt attempt, IntPredicate done) {
    String lastProblem = "none";
    for (int attemptNo = 0; ; attemptNo++) {
      int port = ports[Math.floorMod(first + attemptNo, ports.length)];
      Duration wait = backoff(attemptNo);
      try {
        ApiClient.Response response = attempt.send(port);
        if (done.test(response.status())) {
          return response;
        }
        if (response.status() < 500) {
          throw new AssertionError(what + " on port " + port + " (attempt " + (attemptNo + 1) + ") answered "
              + response + ": a retried idempotent step must never be refused");
        }
        serverErrors.computeIfAbsent(response.status(), s -> new AtomicInteger()).incrementAndGet();
        if (serverErrorSamples.size() < 5) {
          serverErrorSamples.add(java.time.LocalTime.now() + " " + what + " on port " + port + ": " + response.status()
              + " " + response.headers().map() + " " + response.body());
        }
        Duration retryAfter = retryAfter(response);
        wait = retryAfter.compareTo(wait) > 0 ? retryAfter : wait;
        lastProblem = "port " + port + " answered " + response;
      } catch (UncheckedIOException e) {
        if (e.getCause() instanceof HttpTimeoutException) {
          timeouts.incrementAndGet();
        } else {
          connectionErrors.incrementAndGet();
        }
        lastProblem = "port " + port + ": " + e.getCause();
      }
      if (System.nanoTime() + wait.toNanos() - deadlineNanos > 0) {
        throw new AssertionError(what + " did not succeed before the deadline, after " + (attemptNo + 1)
            + " attempts; last problem: " + lastProblem);
      }
      Poll.pause(wait);
    }
  }

  int retries() {
    return connectionErrors.get() + timeouts.get() + serverErrors.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  String retrySummary() {
    Map<Integer, Integer> byStatus = new TreeMap<>();
    serverErrors.forEach((status, count) -> byStatus.put(status, count.get()));
    return retries() + " retries (" + connectionErrors.get() + " connection errors, " + timeouts.get()
        + " timeouts, 5xx " + byStatus + ")";
  }

  /** The first few 5xx answers, with port, headers and body: for the report. */
  java.util.List<String> serverErrorSamples() {
    return java.util.List.copyOf(serverErrorSamples);
  }

  /** Exponential with jitter, from 100 ms up to 2 s. */
  private static Duration backoff(int attemptNo) {
    long ceiling = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attemptNo, 5));
    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(ceiling / 2, ceiling + 1));
  }

  private static Duration retryAfter(ApiClient.Response response) {
    return response.headers().firstValue("Retry-After")
        .map(value -> {
          try {
            return Duration.ofSeconds(Long.parseLong(value.trim()));
          } catch (NumberFormatException e) {
            return Duration.ZERO;
          }
        })
        .orElse(Duration.ZERO);
  }
}
