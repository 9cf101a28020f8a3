package dev.imagery.shared.config;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Typed reads of environment variables; a bad value fails start-up with the variable's name in the message. */
final class Env {

  private final Map<String, String> vars;

  Env(Map<String, String> vars) {
    this.vars = vars;
  }

  Optional<String> optional(String name) {
    String value = vars.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  /**
   * A secret: the value of {@code name}, or the contents of the file that {@code name + "_FILE"} names (a mounted
   * Kubernetes or Docker secret; surrounding whitespace, such as the final newline, is dropped). Setting both is an
   * error. A file that does not exist reads as unset, so that an optional secret can be mounted whether it exists or
   * not; an unreadable one stops the start. The value never appears in an error message.
   */
  Optional<String> secret(String name) {
    Optional<String> direct = optional(name);
    Optional<String> file = optional(name + "_FILE");
    if (direct.isPresent() && file.isPresent()) {
      throw new IllegalArgumentException("set " + name + " or " + name + "_FILE, not both");
    }
    if (file.isEmpty()) {
      return direct;
    }
    try {
      String content = Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).strip();
      if (content.isEmpty()) {
        throw new IllegalArgumentException(name + "_FILE names an empty file: " + file.get());
      }
      return Optional.of(content);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new IllegalArgumentException(name + "_FILE names a file that cannot be read: " + file.get() + " ("
          + e + ")");
    }
  }

  /** {@link #secret}, which when set must be at least {@code minLength} characters long. */
  Optional<String> secret(String name, int minLength) {
    Optional<String> value = secret(name);
    value.ifPresent(secret -> {
      if (secret.length() < minLength) {
        throw new IllegalArgumentException(name + " must be at least " + minLength + " characters long, got "
            + secret.length() + ": use a random one, e.g. `openssl rand -hex 32`");
      }
    });
    return value;
  }

  String string(String name, String defaultValue) {
    return optional(name).orElse(defaultValue);
  }

  int integer(String name, int defaultValue, int min, int max) {
    long value = longValue(name, defaultValue, min, max);
    return (int) value;
  }

  long longValue(String name, long defaultValue, long min, long max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    long value;
    try {
      value = Long.parseLong(raw.get().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, got '" + raw.get() + "'");
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  float decimal(String name, float defaultValue, float min, float max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    float value;
    try {
      value = Float.parseFloat(raw.get());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, got '" + raw.get() + "'");
    }
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  boolean bool(String name, boolean defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return switch (raw.get().toLowerCase()) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new IllegalArgumentException(name + " must be true or false, got '" + raw.get() + "'");
    };
  }

  Duration millis(String name, Duration defaultValue) {
    return Duration.ofMillis(longValue(name, defaultValue.toMillis(), 1, Duration.ofHours(1).toMillis()));
  }

  /** A duration in milliseconds that defaults to zero (off). */
  Duration millis0(String name) {
    return Duration.ofMillis(longValue(name, 0, 0, Duration.ofHours(1).toMillis()));
  }

  Optional<URI> uri(String name) {
    return optional(name).map(value -> {
      try {
        URI uri = URI.create(value);
        if (uri.getScheme() == null || uri.getHost() == null) {
          throw new IllegalArgumentException("no scheme or host");
        }
        return uri;
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(name + " must be a URL such as http://127.0.0.1:8000, got '" + value + "'");
      }
    });
  }

  <E extends Enum<E>> E choice(String name, Class<E> type, E defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      return Enum.valueOf(type, raw.get().toUpperCase());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " must be one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase()
          + ", got '" + raw.get() + "'");
    }
  }
}
