package dev.imagery.shared.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.Map;
import net.logstash.logback.composite.AbstractJsonProvider;

/**
 * Writes the {@link LogContext} fields of the request or job that logs (imageId, uploadId, messageId, traceId,
 * spanId) as top-level JSON fields. The console appender encodes on the logging thread, while that context is
 * current; an asynchronous appender would lose them.
 */
public final class LogContextJsonProvider extends AbstractJsonProvider<ILoggingEvent> {

  @Override
  public void writeTo(JsonGenerator generator, ILoggingEvent event) throws IOException {
    for (Map.Entry<String, String> field : LogContext.fields().entrySet()) {
      generator.writeStringField(field.getKey(), field.getValue());
    }
  }
}
