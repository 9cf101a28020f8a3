package dev.imagery.worker;

import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.queue.JobMessage;
import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds images left in {@code uploaded} and queues their job again. An upload commits to DynamoDB before it sends
 * its job; a process that dies in between, or an SQS that refuses the send, leaves an image no job will ever reach.
 * A duplicate job is harmless (the worker acknowledges work already done), so the reconciler needs no coordination:
 * every worker runs one.
 *
 * <p>An image is queued again when its wait crosses {@code after}, {@code 2 after}, {@code 4 after}, and so on. The
 * schedule needs no state, a backed-up queue is not flooded with copies, and a job that keeps killing workers (it
 * also ends in the dead-letter queue) is retried ever more rarely instead of every interval.
 */
final class Reconciler {

  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  private static final int MAX_PER_RUN = 500;

  private final Vertx vertx;
  private final ImageStore store;
  private final JobQueue queue;
  private final Duration after;
  private final Duration interval;
  private final Clock clock;
  private long timerId = -1;
  private boolean stopped;

  Reconciler(Vertx vertx, ImageStore store, JobQueue queue, Duration after, Duration interval, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.queue = queue;
    this.after = after;
    this.interval = interval;
    this.clock = clock;
  }

  void start() {
    LOG.info("reconciler: requeueing images waiting over {} s, checking every {} s", after.toSeconds(),
        interval.toSeconds());
    scheduleNext();
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(timerId);
  }

  /** One pass: the number of jobs queued again. */
  Future<Integer> runOnce() {
    Instant now = clock.instant();
    return store.awaitingSince(now.minus(after), MAX_PER_RUN)
        .compose(waiting -> requeue(waiting.stream().filter(w -> due(Duration.between(w.since(), now))).toList()));
  }

  private Future<Integer> requeue(List<ImageStore.Awaiting> due) {
    List<Future<String>> sent = due.stream()
        .map(w -> queue.send(new JobMessage(w.imageId(), w.uploadId()))
            .onSuccess(messageId -> LOG.warn("image={} upload={} message={} waiting since {}: job queued again",
                w.imageId(), w.uploadId(), messageId, w.since())))
        .toList();
    return Future.join(sent).map(all -> due.size());
  }

  /** Whether a wait of {@code age} has just crossed one of after, 2 after, 4 after... (within one pass). */
  boolean due(Duration age) {
    if (age.compareTo(after) < 0) {
      return false;
    }
    long ratio = age.toMillis() / after.toMillis();
    long threshold = after.toMillis() * Long.highestOneBit(ratio);
    // A pass comes every interval, with jitter: a window of 1.5 intervals is met at least once.
    return age.toMillis() - threshold < interval.toMillis() * 3 / 2;
  }

  private void scheduleNext() {
    if (stopped) {
      return;
    }
    // Jitter keeps a fleet of workers from querying in step.
    long delay = interval.toMillis() * ThreadLocalRandom.current().nextInt(80, 121) / 100;
    timerId = vertx.setTimer(delay, t -> runOnce()
        .onFailure(err -> LOG.warn("reconciler pass failed, next in about {} s: {}", interval.toSeconds(),
            err.toString()))
        .onComplete(done -> scheduleNext()));
  }
}
