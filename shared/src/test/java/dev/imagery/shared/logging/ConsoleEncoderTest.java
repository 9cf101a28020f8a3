package dev.imagery.shared.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.logstash.logback.argument.StructuredArguments;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** imagery-console.xml as the services include it: a JSON line with the job's fields, or a text line. */
class ConsoleEncoderTest {

  private static final TraceParent TRACE =
      TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").orElseThrow();

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void jsonCarriesTheJobsFieldsAndTheStructuredArguments() throws Exception {
    ConsoleEncoder encoder = encoder("json");
    assertThat(encoder.chosenFormat()).isEqualTo("json");
    String line = encodeInJob(encoder, event("image={} processed in {} ms", "img-1",
        StructuredArguments.v("durationMs", 42)));

    assertThat(line).endsWith("\n").doesNotContain("\n\n");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("message").asText()).isEqualTo("image=img-1 processed in 42 ms");
    assertThat(json.get("level").asText()).isEqualTo("INFO");
    assertThat(json.get("service").asText()).isEqualTo("imagery-test");
    assertThat(json.get("imageId").asText()).isEqualTo("img-1");
    assertThat(json.get("messageId").asText()).isEqualTo("msg-1");
    assertThat(json.get("traceId").asText()).isEqualTo(TRACE.traceId());
    assertThat(json.get("spanId").asText()).isEqualTo(TRACE.spanId());
    assertThat(json.get("durationMs").asInt()).isEqualTo(42);
    assertThat(json.has("@timestamp")).isTrue();
  }

  @Test
  void jsonOffAJobHasNoJobFields() throws Exception {
    String line = new String(encoder("json").encode(event("worker polling")), StandardCharsets.UTF_8);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("message").asText()).isEqualTo("worker polling");
    assertThat(json.has("traceId")).isFalse();
    assertThat(json.has("imageId")).isFalse();
  }

  @Test
  void textShowsTheTraceBeforeTheMessage() throws Exception {
    ConsoleEncoder encoder = encoder("text");
    assertThat(encoder.chosenFormat()).isEqualTo("text");
    String line = encodeInJob(encoder, event("image={} processed", "img-1"));
    assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT[^ ]+ INFO  \\[[^]]+\\] d\\.i\\.test\\.SampleLogger trace="
        + TRACE.traceId() + " - image=img-1 processed\\n");
  }

  @Test
  void anUnknownFormatFallsBackToJson() throws Exception {
    assertThat(encoder("xml").chosenFormat()).isEqualTo("json");
  }

  private String encodeInJob(ConsoleEncoder encoder, ILoggingEvent event) throws Exception {
    Promise<String> line = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> LogContext.run(
            Map.of(LogContext.IMAGE_ID, "img-1", LogContext.MESSAGE_ID, "msg-1"), Optional.of(TRACE),
            () -> Future.succeededFuture(new String(encoder.encode(event), StandardCharsets.UTF_8)))
        .onComplete(line));
    return line.future().await(10, TimeUnit.SECONDS);
  }

  private static ILoggingEvent event(String message, Object... arguments) {
    Logger logger = newContext().getLogger("dev.imagery.test.SampleLogger");
    return new LoggingEvent(Logger.class.getName(), logger, Level.INFO, message, null, arguments);
  }

  private static LoggerContext newContext() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    return context;
  }

  private static ConsoleEncoder encoder(String defaultFormat) throws Exception {
    String xml = """
        <configuration>
          <property name="service" value="imagery-test"/>
          <property name="defaultLogFormat" value="%s"/>
          <include resource="imagery-console.xml"/>
          <root level="INFO"><appender-ref ref="CONSOLE"/></root>
        </configuration>
        """.formatted(defaultFormat);
    LoggerContext context = newContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    ConsoleAppender<ILoggingEvent> console =
        (ConsoleAppender<ILoggingEvent>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("CONSOLE");
    assertThat(console).as("the CONSOLE appender").isNotNull();
    return (ConsoleEncoder) console.getEncoder();
  }
}
