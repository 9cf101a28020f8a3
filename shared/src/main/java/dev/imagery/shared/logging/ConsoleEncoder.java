package dev.imagery.shared.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import java.util.Locale;

/**
 * The console's format, chosen at start by {@code IMAGERY_LOG_FORMAT}: {@code json} (one JSON object a line, for
 * log collectors; the containers' default) or {@code text} (for people; the local stack's default). Both encoders
 * are configured in {@code imagery-console.xml}; this one only picks. Janino-based {@code <if>} in logback.xml would
 * do the same with a scripting dependency more.
 */
public final class ConsoleEncoder extends EncoderBase<ILoggingEvent> {

  private String format = "json";
  private Encoder<ILoggingEvent> json;
  private Encoder<ILoggingEvent> text;
  private Encoder<ILoggingEvent> chosen;

  public void setFormat(String format) {
    this.format = format;
  }

  public void setJson(Encoder<ILoggingEvent> json) {
    this.json = json;
  }

  public void setText(Encoder<ILoggingEvent> text) {
    this.text = text;
  }

  @Override
  public void start() {
    String wanted = format == null ? "json" : format.trim().toLowerCase(Locale.ROOT);
    if (wanted.equals("text")) {
      chosen = text;
    } else {
      if (!wanted.equals("json")) {
        // The service then refuses to start (ImageryConfig), saying so in JSON.
        addError("IMAGERY_LOG_FORMAT must be json or text, got '" + format + "'; logging JSON");
      }
      chosen = json;
    }
    if (chosen == null) {
      addError("no " + wanted + " encoder configured");
      return;
    }
    if (!chosen.isStarted()) {
      chosen.start();
    }
    super.start();
  }

  /** The format in use, {@code json} or {@code text}. */
  public String chosenFormat() {
    return chosen == text ? "text" : "json";
  }

  @Override
  public byte[] headerBytes() {
    return chosen.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return chosen.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return chosen.footerBytes();
  }
}
