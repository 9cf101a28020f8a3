package dev.imagery.shared.image;

/**
 * S3 keys. Each upload gets its own raw key, and its results derive from it, so a retried job overwrites its own
 * result instead of orphaning a new one, and a job for a superseded upload can never overwrite a newer result.
 */
public final class ObjectKeys {

  private ObjectKeys() {
  }

  public static String raw(String imageId, String uploadId) {
    return "raw/" + imageId + "/" + uploadId;
  }

  public static String result(String imageId, String uploadId, String extension) {
    return "processed/" + imageId + "/" + uploadId + "." + extension;
  }

  public static String thumbnail(String imageId, String uploadId) {
    return "processed/" + imageId + "/" + uploadId + "-thumb.jpg";
  }
}
