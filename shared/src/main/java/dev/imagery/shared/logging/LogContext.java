package dev.imagery.shared.logging;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The log fields of the request or job running now (image id, upload id, message id, trace id, span id), which every
 * log line it writes carries: {@link LogContextJsonProvider} writes them as JSON fields, {@link TraceConverter} the
 * trace id in text.
 *
 * <p>They live on the request's or job's own Vert.x <em>duplicated</em> context, not in SLF4J's MDC. The MDC is per
 * thread, and one event-loop thread interleaves hundreds of requests and jobs: a value set for one leaks into the
 * lines of the next unless every callback sets and clears it, and a forgotten clear (or a callback on another
 * thread) mislabels lines silently. A duplicated context is per request (Vert.x gives every HTTP request one) or
 * per job ({@link #run}); every callback of its futures, timers and {@code executeBlocking} calls runs with it
 * current, on the event loop or the worker pool alike, so the fields follow the work and nothing needs clearing.
 * Lines logged off any Vert.x context (an SDK thread) carry no fields; their text still names the image.
 */
public final class LogContext {

  public static final String IMAGE_ID = "imageId";
  public static final String UPLOAD_ID = "uploadId";
  public static final String MESSAGE_ID = "messageId";
  public static final String TRACE_ID = "traceId";
  public static final String SPAN_ID = "spanId";

  /** The key in the duplicated context's local data; the value is replaced, never changed, so readers need no lock. */
  private static final Object KEY = LogContext.class;

  /** Fields and trace of one request or job, immutable. */
  private record Snapshot(Map<String, String> fields, Optional<TraceParent> trace) {
    static final Snapshot EMPTY = new Snapshot(Map.of(), Optional.empty());

    Snapshot with(String key, String value) {
      Map<String, String> copy = new LinkedHashMap<>(fields);
      copy.put(key, value);
      return new Snapshot(Collections.unmodifiableMap(copy), trace);
    }

    Snapshot with(TraceParent newTrace) {
      return with(TRACE_ID, newTrace.traceId()).with(SPAN_ID, newTrace.spanId()).traced(newTrace);
    }

    private Snapshot traced(TraceParent newTrace) {
      return new Snapshot(fields, Optional.of(newTrace));
    }
  }

  private LogContext() {
  }

  /** The current request's or job's fields, in the order they were set; empty off such a context. */
  public static Map<String, String> fields() {
    return snapshot().fields();
  }

  /** The current request's or job's trace (this hop's span id), if it has one. */
  public static Optional<TraceParent> trace() {
    return snapshot().trace();
  }

  /**
   * Sets a field of the current request or job. Off a duplicated context it does nothing: a root context is shared
   * by everything on its event loop, which is the very leak this class avoids.
   */
  public static void put(String key, String value) {
    ContextInternal context = ContextInternal.current();
    if (value != null && context != null && context.isDuplicate()) {
      context.localContextData().put(KEY, snapshot(context).with(key, value));
    }
  }

  /** Sets the trace of the current request or job ({@link #TRACE_ID} and {@link #SPAN_ID} with it). */
  public static void putTrace(TraceParent trace) {
    ContextInternal context = ContextInternal.current();
    if (context != null && context.isDuplicate()) {
      context.localContextData().put(KEY, snapshot(context).with(trace));
    }
  }

  /**
   * Runs {@code work} on a new duplicated context of the caller's event loop, carrying {@code fields} and
   * {@code trace}: a job of its own, whose lines carry them. The outcome completes on the caller's context, so the
   * caller's own callbacks (a poll loop's, say) do not run with the job's fields. Called off any Vert.x context
   * (a {@code Future.timeout} fires on Netty's global executor, say), it runs {@code work} as it is, without fields:
   * there is no event loop to give it a context on.
   */
  public static <T> Future<T> run(Map<String, String> fields, Optional<TraceParent> trace,
                                  Supplier<Future<T>> work) {
    ContextInternal caller = ContextInternal.current();
    if (caller == null) {
      return work.get();
    }
    Snapshot snapshot = new Snapshot(Collections.unmodifiableMap(new LinkedHashMap<>(fields)), Optional.empty());
    ContextInternal job = caller.unwrap().duplicate();
    job.localContextData().put(KEY, trace.map(snapshot::with).orElse(snapshot));
    Promise<T> outcome = caller.promise();
    job.dispatch(() -> {
      try {
        work.get().onComplete(outcome);
      } catch (RuntimeException e) {
        outcome.tryFail(e);
      }
    });
    return outcome.future();
  }

  /**
   * A promise whose callbacks run on the current context (the current request's or job's), whoever completes it.
   * {@code Promise.promise()} runs them on the completer's: a waiter completed by another request's or job's release
   * (a budget, a gate) would carry on with that one's fields, and its SDK calls would bind to that one's context.
   * Off a Vert.x context, a plain promise.
   */
  public static <T> Promise<T> boundPromise() {
    ContextInternal context = ContextInternal.current();
    return context == null ? Promise.promise() : context.promise();
  }

  private static Snapshot snapshot() {
    return snapshot(ContextInternal.current());
  }

  private static Snapshot snapshot(ContextInternal context) {
    if (context == null || !context.isDuplicate()) {
      return Snapshot.EMPTY;
    }
    Object value = context.localContextData().get(KEY);
    return value instanceof Snapshot snapshot ? snapshot : Snapshot.EMPTY;
  }
}
