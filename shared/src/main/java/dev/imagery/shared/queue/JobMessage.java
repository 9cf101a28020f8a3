package dev.imagery.shared.queue;

import dev.imagery.shared.image.ImageIds;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/** The SQS job body: process upload {@code uploadId} of image {@code imageId}. */
public record JobMessage(String imageId, String uploadId) {

  public String toJson() {
    return new JsonObject()
        .put("imageId", imageId)
        .put("uploadId", uploadId)
        .put("desiredState", "processed")
        .encode();
  }

  /** Empty for a body that is not a job: such a message is poison and ends in the dead-letter queue. */
  public static Optional<JobMessage> parse(String body) {
    try {
      JsonObject json = new JsonObject(body);
      Optional<String> imageId = ImageIds.parse(json.getString("imageId"));
      String uploadId = json.getString("uploadId");
      if (imageId.isEmpty() || uploadId == null || uploadId.isBlank()) {
        return Optional.empty();
      }
      return Optional.of(new JobMessage(imageId.get(), uploadId));
    } catch (DecodeException | ClassCastException | NullPointerException e) {
      return Optional.empty();
    }
  }
}
