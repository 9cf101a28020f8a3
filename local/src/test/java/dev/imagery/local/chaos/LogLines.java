package dev.imagery.local.chaos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The services' JSON log lines (imagery-console.xml), read back: as objects, or rendered as the text format. */
final class LogLines {

  private static final ObjectMapper JSON = new ObjectMapper();

  private LogLines() {
  }

  /** The line as a JSON log event; empty for any other line. */
  static Optional<JsonNode> event(String line) {
    if (!line.startsWith("{")) {
      return Optional.empty();
    }
    try {
      JsonNode node = JSON.readTree(line);
      return node.isObject() && node.has("message") ? Optional.of(node) : Optional.empty();
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  static List<JsonNode> events(List<String> lines) {
    List<JsonNode> events = new ArrayList<>();
    lines.forEach(line -> event(line).ifPresent(events::add));
    return events;
  }

  /**
   * Appends {@code line} as text: a JSON event as {@code time level [thread] logger trace=… - message}, then its
   * stack trace, one line each; any other line as it is.
   */
  static void render(String line, StringBuilder out) {
    Optional<JsonNode> parsed = event(line);
    if (parsed.isEmpty()) {
      out.append(line).append('\n');
      return;
    }
    JsonNode event = parsed.get();
    out.append(text(event, "@timestamp")).append(' ')
        .append(String.format("%-5s", text(event, "level"))).append(" [")
        .append(text(event, "thread_name")).append("] ")
        .append(text(event, "logger_name")).append(' ');
    if (event.hasNonNull("traceId")) {
      out.append("trace=").append(event.get("traceId").asText()).append(' ');
    }
    out.append("- ").append(text(event, "message")).append('\n');
    if (event.hasNonNull("stack_trace")) {
      out.append(event.get("stack_trace").asText().stripTrailing()).append('\n');
    }
  }

  private static String text(JsonNode event, String field) {
    return event.hasNonNull(field) ? event.get(field).asText() : "";
  }
}
