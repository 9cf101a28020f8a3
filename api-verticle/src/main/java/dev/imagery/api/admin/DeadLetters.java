package dev.imagery.api.admin;

import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * The dead-letter queue for operators: what is in it, and sending it back to the job queue once the cause is fixed.
 * Works on any SQS (also emulators without the native message-move API): receive, send, delete.
 */
public final class DeadLetters {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
  private static final int BATCH = 10;
  /** Long enough to list or move a batch; listed messages are made visible again right after. */
  private static final int HOLD_SECONDS = 30;

  private final JobQueue deadLetters;
  private final JobQueue jobs;

  public DeadLetters(JobQueue deadLetters, JobQueue jobs) {
    this.deadLetters = deadLetters;
    this.jobs = jobs;
  }

  /** Up to {@code limit} dead letters, left in the queue. */
  public Future<JsonObject> list(int limit) {
    List<Message> seen = new ArrayList<>();
    return receiveUpTo(limit, seen)
        .compose(done -> Future.join(seen.stream().map(m -> deadLetters.changeVisibility(m, 0)).toList()))
        .compose(released -> deadLetters.approximateSize())
        .map(size -> new JsonObject()
            .put("approximateCount", size)
            .put("messages", new JsonArray(seen.stream().map(DeadLetters::toJson).toList())));
  }

  /**
   * Moves up to {@code limit} dead letters back to the job queue; returns how many moved. Only as many as the queue
   * held when the redrive started: a message that fails again while it runs comes back, and must not be moved again.
   */
  public Future<Integer> redrive(int limit) {
    return deadLetters.approximateSize()
        .compose(present -> redriveBatches((int) Math.min(limit, present), 0));
  }

  public Future<Void> purge() {
    LOG.warn("dead-letter queue {} purged by an operator", deadLetters.url());
    return deadLetters.purge();
  }

  private Future<Void> receiveUpTo(int limit, List<Message> seen) {
    if (seen.size() >= limit) {
      return Future.succeededFuture();
    }
    return deadLetters.receive(Math.min(BATCH, limit - seen.size()), 0, HOLD_SECONDS)
        .compose(batch -> {
          seen.addAll(batch);
          return batch.isEmpty() ? Future.succeededFuture() : receiveUpTo(limit, seen);
        });
  }

  private Future<Integer> redriveBatches(int limit, int moved) {
    if (moved >= limit) {
      return Future.succeededFuture(moved);
    }
    return deadLetters.receive(Math.min(BATCH, limit - moved), 0, HOLD_SECONDS)
        .compose(batch -> {
          if (batch.isEmpty()) {
            return Future.succeededFuture(moved);
          }
          // Send before delete: a failure in between leaves a duplicate, which the worker tolerates, never a loss.
          List<Future<Void>> each = batch.stream()
              .map(message -> jobs.sendBody(message.body())
                  .compose(sent -> deadLetters.delete(message))
                  .onSuccess(v -> LOG.info("message={} moved from the dead-letter queue back to the jobs",
                      message.messageId())))
              .toList();
          return Future.all(each).compose(all -> redriveBatches(limit, moved + batch.size()));
        });
  }

  private static JsonObject toJson(Message message) {
    String sent = message.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP);
    return new JsonObject()
        .put("messageId", message.messageId())
        .put("body", message.body())
        .put("receiveCount", JobQueue.receiveCount(message))
        .put("sentAt", sent == null ? null : Instant.ofEpochMilli(Long.parseLong(sent)).toString());
  }
}
