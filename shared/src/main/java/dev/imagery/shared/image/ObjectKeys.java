package dev.imagery.shared.image;

import java.util.List;

/**
 * S3 keys. Each upload gets its own raw key, and its results derive from it, so a retried job overwrites its own
 * result instead of orphaning a new one, and a job for a superseded upload can never overwrite a newer result.
 *
 * <p>Every key of an image lies under one of its two prefixes ({@link #prefixes}), so listing them finds all its
 * objects: superseded uploads, results of old uploads and whatever a crash left behind included. The first segment
 * ({@code raw/}, {@code processed/}) is what the IAM policies and the retention lifecycle rules name.
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

  /** The prefixes under which every object of an image lies (raw uploads; results and thumbnails). */
  public static List<String> prefixes(String imageId) {
    return List.of("raw/" + imageId + "/", "processed/" + imageId + "/");
  }

  /** The first segments of all keys: what the retention lifecycle rules expire. */
  public static final List<String> ROOTS = List.of("raw/", "processed/");

  /**
   * Every key a job for {@code uploadId} may have written: the result in each output format ({@code jpg},
   * {@code png}) and the thumbnail. Deleting them is how a job for a deleted image cleans up after a worker that
   * died between storing and committing.
   */
  public static List<String> resultsOf(String imageId, String uploadId) {
    return List.of(result(imageId, uploadId, "jpg"), result(imageId, uploadId, "png"), thumbnail(imageId, uploadId));
  }
}
