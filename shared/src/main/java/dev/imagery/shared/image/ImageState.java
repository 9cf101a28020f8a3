package dev.imagery.shared.image;

import java.util.Locale;

/**
 * The life of an image process: {@code created -> uploaded -> processed}, or {@code failed} with a reason.
 * A re-upload is allowed until the image is processed; processed and failed are final.
 */
public enum ImageState {
  CREATED,
  UPLOADED,
  PROCESSED,
  FAILED;

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

  /** Whether {@code target} may follow this state. Staying in {@code uploaded} is a re-upload. */
  public boolean canTransitionTo(ImageState target) {
    return switch (target) {
      case CREATED -> false;
      case UPLOADED -> this == CREATED || this == UPLOADED;
      case PROCESSED, FAILED -> this == UPLOADED;
    };
  }
}
