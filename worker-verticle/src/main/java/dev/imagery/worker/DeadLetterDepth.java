package dev.imagery.worker;

import dev.imagery.shared.queue.JobQueue;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;

/**
 * {@code imagery_dead_letter_messages}: the dead-letter queue's depth as SQS approximates it (ApproximateNumberOfMessages
 * plus ...NotVisible), read now and every {@code IMAGERY_DEAD_LETTER_POLL_SECONDS}. A gauge read at scrape time would
 * call SQS once per scrape and per replica; this costs one call per interval. NaN until the first read succeeds, and
 * after a failed one: a stale number would look like a healthy one.
 */
final class DeadLetterDepth {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterDepth.class);

  private final Vertx vertx;
  private final SqsAsyncClient sqs;
  private final String queueName;
  private final Duration interval;
  private volatile double depth = Double.NaN;
  private Future<JobQueue> queue;
  private long timerId = -1;
  private boolean stopped;

  DeadLetterDepth(Vertx vertx, SqsAsyncClient sqs, String queueName, Duration interval, MeterRegistry registry) {
    this.vertx = vertx;
    this.sqs = sqs;
    this.queueName = queueName;
    this.interval = interval;
    Gauge.builder("imagery.dead.letter.messages", () -> depth)
        .description("Messages in the dead-letter queue (SQS approximate counts, read every "
            + "IMAGERY_DEAD_LETTER_POLL_SECONDS); NaN when the last read failed")
        .register(registry);
  }

  void start() {
    poll();
    timerId = vertx.setPeriodic(interval.toMillis(), tick -> poll());
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(timerId);
  }

  private void poll() {
    if (stopped) {
      return;
    }
    if (queue == null || queue.failed()) {
      queue = JobQueue.resolve(vertx, sqs, queueName);
    }
    queue.compose(JobQueue::approximateSize)
        .onSuccess(size -> depth = size)
        .onFailure(err -> {
          depth = Double.NaN;
          LOG.warn("could not read the depth of the dead-letter queue {}: {}", queueName, err.toString());
        });
  }
}
