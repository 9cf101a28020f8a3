package dev.imagery.shared.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %trace} in a text pattern: {@code trace=<trace id> } of the request or job that logs, or nothing. The text
 * format's lines name the image and message in their words already; the trace id is what they lack.
 */
public final class TraceConverter extends ClassicConverter {

  @Override
  public String convert(ILoggingEvent event) {
    return LogContext.trace().map(trace -> "trace=" + trace.traceId() + " ").orElse("");
  }
}
