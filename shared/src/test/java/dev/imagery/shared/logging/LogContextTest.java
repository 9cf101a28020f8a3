package dev.imagery.shared.logging;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fields follow each job through its callbacks, on the event loop and the worker pool, and never leak. */
class LogContextTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void twoJobsInterleavedOnOneEventLoopEachSeeTheirOwnFields() throws Exception {
    WorkerExecutor pool = vertx.createSharedWorkerExecutor("log-context-test-pool", 2);
    List<String> seen = new CopyOnWriteArrayList<>();
    List<Promise<Void>> waiting = new CopyOnWriteArrayList<>();
    Future<Void> both = onEventLoop(() -> {
      Future<Void> a = job("a", pool, waiting, seen);
      // Job b releases every waiter, a's too, from its own context: a must carry on with its own fields.
      Future<Void> b = job("b", pool, waiting, seen);
      vertx.setTimer(20, t -> LogContext.run(Map.of(LogContext.IMAGE_ID, "releaser"), Optional.empty(), () -> {
        waiting.forEach(Promise::complete);
        return Future.succeededFuture();
      }));
      // The caller's own context never gets a job's fields.
      seen.add("caller:" + LogContext.fields().getOrDefault(LogContext.IMAGE_ID, "-"));
      return Future.all(a, b).mapEmpty();
    });
    both.await(10, TimeUnit.SECONDS);

    assertThat(seen).contains("caller:-");
    assertThat(seen).filteredOn(s -> s.startsWith("a ")).hasSize(4).allSatisfy(s -> assertThat(s).endsWith("=a"));
    assertThat(seen).filteredOn(s -> s.startsWith("b ")).hasSize(4).allSatisfy(s -> assertThat(s).endsWith("=b"));
  }

  @Test
  void theTraceIsItsFieldsToo() throws Exception {
    TraceParent trace = TraceParent.newTrace();
    Map<String, String> fields = onEventLoop(() -> LogContext.run(Map.of(LogContext.IMAGE_ID, "x"),
        Optional.of(trace), () -> Future.succeededFuture(LogContext.fields()))).await(10, TimeUnit.SECONDS);
    assertThat(fields).containsEntry(LogContext.IMAGE_ID, "x")
        .containsEntry(LogContext.TRACE_ID, trace.traceId())
        .containsEntry(LogContext.SPAN_ID, trace.spanId());
  }

  @Test
  void runOffVertxRunsTheWorkAsItIs() throws Exception {
    Future<Map<String, String>> ran = LogContext.run(Map.of(LogContext.IMAGE_ID, "x"), Optional.empty(),
        () -> Future.succeededFuture(LogContext.fields()));
    assertThat(ran.await(10, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void putOnARootContextOrOffVertxDoesNothing() throws Exception {
    LogContext.put(LogContext.IMAGE_ID, "off-vertx");
    assertThat(LogContext.fields()).isEmpty();
    Map<String, String> onRoot = onEventLoop(() -> {
      LogContext.put(LogContext.IMAGE_ID, "root");
      return Future.succeededFuture(LogContext.fields());
    }).await(10, TimeUnit.SECONDS);
    assertThat(onRoot).isEmpty();
  }

  /**
   * A job: reads its fields on the event loop, after a wait that another context ends, on the pool, and after a
   * timer.
   */
  private Future<Void> job(String id, WorkerExecutor pool, List<Promise<Void>> waiting, List<String> seen) {
    return LogContext.run(Map.of(LogContext.IMAGE_ID, id), Optional.empty(), () -> {
      record(seen, id, "start");
      LogContext.put(LogContext.MESSAGE_ID, "m-" + id);
      Promise<Void> release = LogContext.boundPromise();
      waiting.add(release);
      return release.future()
          .compose(v -> {
            record(seen, id, "after-release");
            return pool.executeBlocking(() -> {
              record(seen, id, "pool");
              return null;
            });
          })
          .compose(v -> {
            Promise<Void> timer = Promise.promise();
            vertx.setTimer(5, t -> {
              record(seen, id, "timer");
              assertThat(LogContext.fields()).containsEntry(LogContext.MESSAGE_ID, "m-" + id);
              timer.complete();
            });
            return timer.future();
          });
    });
  }

  private static void record(List<String> seen, String job, String where) {
    seen.add(job + " " + where + " image=" + LogContext.fields().getOrDefault(LogContext.IMAGE_ID, "-"));
  }

  private <T> Future<T> onEventLoop(java.util.function.Supplier<Future<T>> work) {
    Promise<T> done = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> work.get().onComplete(done));
    return done.future();
  }
}
