package dev.imagery.shared.image;

import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/** Image ids are UUIDs in canonical lower-case form, so a client-generated id can never alias another. */
public final class ImageIds {

  private static final Pattern CANONICAL =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private ImageIds() {
  }

  public static String newId() {
    return UUID.randomUUID().toString();
  }

  /** The canonical form of {@code raw}, or empty when it is not a UUID. */
  public static Optional<String> parse(String raw) {
    if (raw == null) {
      return Optional.empty();
    }
    String lower = raw.toLowerCase(java.util.Locale.ROOT);
    return CANONICAL.matcher(lower).matches() ? Optional.of(lower) : Optional.empty();
  }
}
