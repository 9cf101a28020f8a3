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

  /**
   * Whether {@code canonical} (a value {@link #parse} returned) is a random UUID: version 4, RFC 4122 variant. A
   * client-chosen id must be one, so that ids cannot be guessed from one another or from a time: version 1 and 6
   * UUIDs carry a clock and a MAC address, version 3 and 5 a name anyone can hash, and an id like
   * {@code 00000000-0000-0000-0000-000000000001} is the first thing an attacker tries.
   */
  public static boolean isRandom(String canonical) {
    return canonical.length() == 36 && canonical.charAt(14) == '4' && "89ab".indexOf(canonical.charAt(19)) >= 0;
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
