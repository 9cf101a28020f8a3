package dev.imagery.api.http;

import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import io.vertx.core.json.JsonObject;

/**
 * The API's JSON view of an image record. Object URLs are routes of this API: the bucket stays private. A record
 * being deleted shows its state and times only: its objects are going.
 */
public final class RecordJson {

  private RecordJson() {
  }

  public static JsonObject toJson(ImageRecord record) {
    String base = "/image/" + record.id();
    JsonObject json = new JsonObject()
        .put("id", record.id())
        .put("state", record.state().wireName())
        .put("version", record.version())
        .put("createdAt", record.createdAt().toString())
        .put("updatedAt", record.updatedAt().toString());
    if (record.state() == ImageState.DELETING) {
      return json;
    }
    record.upload().ifPresent(upload -> json.put("original", new JsonObject()
        .put("url", base + "/original")
        .put("contentType", upload.contentType())
        .put("size", upload.size())
        .put("sha256", upload.sha256())
        .put("uploadedAt", upload.uploadedAt().toString())));
    record.result().ifPresent(result -> json.put("result", new JsonObject()
        .put("url", base + "/result")
        .put("contentType", result.contentType())
        .put("thumbnailUrl", base + "/thumbnail")
        .put("width", result.width())
        .put("height", result.height())
        .put("processedAt", result.processedAt().toString())));
    record.failureReason().ifPresent(reason -> json.put("failureReason", reason));
    return json;
  }
}
