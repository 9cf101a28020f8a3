package dev.imagery.worker;

import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.logging.LogContext;
import dev.imagery.shared.logging.TraceParent;
import dev.imagery.shared.queue.JobMessage;
import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Finds images left in {@code uploaded} and queues their job again. An upload commits to DynamoDB before it sends
 * its job; a process that dies in between, or an SQS that refuses the send, leaves an image no job will ever reach.
 * Every worker runs one.
 *
 * <p>An image is queued again when its wait crosses {@code after}, {@code 2 after}, {@code 4 after}, and so on (its
 * due points). A backed-up queue is not flooded with copies, and a job that keeps killing workers (it also ends in
 * the dead-letter queue) is retried ever more rarely instead of every interval.
 *
 * <p>However many workers run, each due point queues one copy: before sending, a reconciler claims the requeue with
 * a conditional write on the record ({@link ImageStore#claimRequeue}), which only one of them wins. A pass reads
 * every waiting image, not a first page: each of the index's hash keys ({@link ImageRecord#awaitingKeys()}, the
 * shards and the legacy unsharded value) is paged through oldest first, {@value #PAGE_SIZE} at a time, the shards
 * side by side, and a page's claims and sends ({@value #CONCURRENCY} at a time per key) finish before the next page
 * is read, so a pass holds at most one page per key.
 *
 * <p>It gives up after {@code maxRequeues}: at the due point after the last allowed requeue (with the defaults,
 * 8 x 300 s after the upload) the claim's count passes the limit, and the reconciler marks the image {@code failed}
 * instead of sending another copy. Whatever happened to its jobs (dead-lettered, lost, or stuck behind a backlog that
 * long), the image then stops waiting; this is the last of the bounds the README states. It never revives an image:
 * only images still {@code uploaded} are in its index, and a claim's condition requires {@code uploaded}.
 */
final class Reconciler {

  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  static final int PAGE_SIZE = 100;
  static final int CONCURRENCY = 10;

  private final Vertx vertx;
  private final ImageStore store;
  private final JobQueue queue;
  private final Duration after;
  private final Duration interval;
  private final int maxRequeues;
  private final Clock clock;
  private final WorkerMetrics metrics;
  private long timerId = -1;
  private boolean stopped;

  Reconciler(Vertx vertx, ImageStore store, JobQueue queue, Duration after, Duration interval, int maxRequeues,
             Clock clock, WorkerMetrics metrics) {
    this.metrics = metrics;
    this.vertx = vertx;
    this.store = store;
    this.queue = queue;
    this.after = after;
    this.interval = interval;
    this.maxRequeues = maxRequeues;
    this.clock = clock;
  }

  void start() {
    LOG.info("reconciler: requeueing images waiting over {} s, checking every {} s, giving up after {} requeues",
        after.toSeconds(), interval.toSeconds(), maxRequeues);
    scheduleNext();
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(timerId);
  }

  /** One pass over every waiting image: the number of jobs queued again. */
  Future<Integer> runOnce() {
    Instant now = clock.instant();
    Instant cutoff = now.minus(after);
    List<Future<Integer>> keys = ImageRecord.awaitingKeys().stream()
        .map(key -> pass(key, cutoff, now, null, 0))
        .toList();
    return Future.all(keys).map(all -> keys.stream().mapToInt(Future::result).sum());
  }

  /** The pages of one index key, one after the other, from {@code startKey}; the requeues of the whole key. */
  private Future<Integer> pass(String key, Instant cutoff, Instant now, Map<String, AttributeValue> startKey,
                               int requeued) {
    if (stopped) {
      return Future.succeededFuture(requeued);
    }
    return store.awaitingPage(key, cutoff, PAGE_SIZE, startKey)
        .compose(page -> requeue(page.items().stream()
                .filter(w -> due(Duration.between(w.since(), now))).toList(), now, 0, 0)
            .compose(sent -> page.next().isPresent()
                ? pass(key, cutoff, now, page.next().get(), requeued + sent)
                : Future.succeededFuture(requeued + sent)));
  }

  /** Claims and sends the requeues of {@code due} from index {@code from}, {@value #CONCURRENCY} at a time. */
  private Future<Integer> requeue(List<ImageStore.Awaiting> due, Instant now, int from, int sent) {
    if (from >= due.size()) {
      return Future.succeededFuture(sent);
    }
    List<Future<Boolean>> batch = due.subList(from, Math.min(from + CONCURRENCY, due.size())).stream()
        // Each image on a context of its own, so that its lines carry its ids and, once claimed, its trace.
        .map(w -> LogContext.run(Map.of(LogContext.IMAGE_ID, w.imageId(), LogContext.UPLOAD_ID, w.uploadId()),
            Optional.empty(), () -> requeue(w, duePoint(w.since(), now))))
        .toList();
    return Future.join(batch)
        .transform(done -> requeue(due, now, from + CONCURRENCY,
            sent + (int) batch.stream().filter(f -> f.succeeded() && f.result()).count()));
  }

  /**
   * One image: claim its due point, and send its job only if the claim was ours, or, past the last allowed requeue,
   * mark it failed instead.
   */
  private Future<Boolean> requeue(ImageStore.Awaiting w, Instant due) {
    return store.claimRequeue(w, due)
        .onFailure(err -> LOG.warn("image={} upload={} due={} requeue not claimed, the next pass tries again: {}",
            w.imageId(), w.uploadId(), due.toEpochMilli(), err.toString()))
        .compose(claim -> {
          if (!claim.claimed()) {
            return Future.succeededFuture(false);
          }
          // The upload's trace goes on with its requeued job (a span of this reconciler's), or a new one if unknown.
          LogContext.putTrace(claim.traceparent().flatMap(TraceParent::parse).map(TraceParent::child)
              .orElseGet(TraceParent::newTrace));
          return claim.requeues() > maxRequeues ? giveUp(w, due, claim.requeues() - 1) : send(w, due);
        });
  }

  /** The claim of this due point is ours and no requeue is left: the image ends failed (never sent; not counted). */
  private Future<Boolean> giveUp(ImageStore.Awaiting w, Instant due, int requeues) {
    String reason = "processing did not finish within " + Duration.between(w.since(), due).toMinutes()
        + " min of the upload, after " + requeues + " requeues of its job";
    return store.get(w.imageId())
        .compose(record -> record.uploadId().filter(w.uploadId()::equals).isPresent()
            ? store.markFailed(record, reason).map(committed -> committed.written())
            : Future.succeededFuture(false))
        .onSuccess(failed -> {
          if (failed) {
            metrics.failed(FailureReason.REQUEUES_EXHAUSTED);
            LOG.warn("image={} upload={} due={} gave up: {}", w.imageId(), w.uploadId(), due.toEpochMilli(), reason);
          }
        })
        // Lost a race with the worker's commit (processed or failed meanwhile), or DynamoDB failed: either way the
        // next pass sees the image as it is now; a claim past the limit is never turned into a send.
        .recover(err -> {
          LOG.info("image={} upload={} due={} not marked failed by the reconciler: {}", w.imageId(), w.uploadId(),
              due.toEpochMilli(), err.toString());
          return Future.succeededFuture(false);
        })
        .map(failed -> false);
  }

  private Future<Boolean> send(ImageStore.Awaiting w, Instant due) {
    return queue.send(new JobMessage(w.imageId(), w.uploadId()))
        .onSuccess(messageId -> {
          metrics.requeued();
          LOG.warn("requeued image={} upload={} due={} message={} waiting since {}", w.imageId(), w.uploadId(),
              due.toEpochMilli(), messageId, w.since());
        })
        // A claim is not handed back: the image is requeued at its next due point.
        .onFailure(err -> LOG.warn("image={} upload={} due={} requeue claimed but not sent, next at the next due "
            + "point: {}", w.imageId(), w.uploadId(), due.toEpochMilli(), err.toString()))
        .map(messageId -> true);
  }

  /** The due point a wait begun at {@code since} has last crossed by {@code now}: since + after × 2^k. */
  Instant duePoint(Instant since, Instant now) {
    long ratio = Math.max(1, Duration.between(since, now).toMillis() / after.toMillis());
    return since.plusMillis(after.toMillis() * Long.highestOneBit(ratio));
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
