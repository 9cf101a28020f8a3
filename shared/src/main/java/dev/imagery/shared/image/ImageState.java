package dev.imagery.shared.image;

import java.util.Locale;

/**
 * The life of an image process: {@code created -> uploaded -> processed}, or {@code failed} with a reason.
 * A re-upload is allowed until the image is processed; processed and failed are final. Any state may become
 * {@code deleting} ({@code DELETE /image/{id}}), which nothing leaves: the record is removed once the image's objects
 * are gone.
 */
public enum ImageState {
  CREATED,
  UPLOADED,
  PROCESSED,
  FAILED,
  /** Being deleted: its objects are going, then the record. No upload, result or failure is recorded any more. */
  DELETING;

  /** The name stored in DynamoDB and shown in the API. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ImageState fromWireName(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  public boolean isFinal() {
    return this == PROCESSED || this == FAILED;
  }

  /**
   * Whether {@code target} may follow this state. Staying in {@code uploaded} is a re-upload; staying in
   * {@code deleting} is a repeated delete (done already, not a transition).
   */
  public boolean canTransitionTo(ImageState target) {
    return switch (target) {
      case CREATED -> false;
      case UPLOADED -> this == CREATED || this == UPLOADED;
      case PROCESSED, FAILED -> this == UPLOADED;
      case DELETING -> this != DELETING;
    };
  }
}
