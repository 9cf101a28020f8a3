package dev.imagery.worker;

import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Keeps a message invisible while its job runs: every interval, the visibility timeout starts again from now.
 * A live worker on a slow image keeps its message; a dead one stops extending and the message comes back.
 */
final class VisibilityHeartbeat {

  private static final Logger LOG = LoggerFactory.getLogger(VisibilityHeartbeat.class);

  private final Vertx vertx;
  private final long timerId;

  private VisibilityHeartbeat(Vertx vertx, long timerId) {
    this.vertx = vertx;
    this.timerId = timerId;
  }

  static VisibilityHeartbeat start(Vertx vertx, JobQueue queue, Message message, String imageId,
                                   int visibilityTimeoutSeconds, long intervalMs, WorkerMetrics metrics) {
    long timerId = vertx.setPeriodic(intervalMs, tick -> queue.changeVisibility(message, visibilityTimeoutSeconds)
        .onComplete(done -> metrics.visibilityExtended(done.succeeded()))
        .onSuccess(v -> LOG.debug("image={} message={} visibility extended by {} s", imageId, message.messageId(),
            visibilityTimeoutSeconds))
        .onFailure(err -> LOG.warn("image={} message={} could not extend visibility: {}", imageId,
            message.messageId(), err.toString())));
    return new VisibilityHeartbeat(vertx, timerId);
  }

  void stop() {
    vertx.cancelTimer(timerId);
  }
}
