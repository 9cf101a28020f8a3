package dev.imagery.shared.logging;

import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A W3C Trace Context {@code traceparent} (https://www.w3.org/TR/trace-context/): {@code 00-<trace-id>-<span-id>-<flags>}.
 * The trace id follows an image from the request that uploaded it to the worker that processed it; each hop (the
 * API's request, a worker's job, a reconciler's requeue) gets a span id of its own under the same trace id.
 */
public record TraceParent(String traceId, String spanId, String flags) {

  /** The HTTP header, and the SQS message attribute that carries it to the worker. */
  public static final String HEADER = "traceparent";

  private static final Pattern VERSION_00 = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
  /** A later version must start like version 00, and may only add fields after a dash. */
  private static final Pattern LATER_VERSION =
      Pattern.compile("(?!ff)[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?");
  private static final String ZERO_TRACE = "0".repeat(32);
  private static final String ZERO_SPAN = "0".repeat(16);
  private static final HexFormat HEX = HexFormat.of();

  /**
   * The header as the spec reads it: lowercase hex only, version {@code ff} and all-zero ids invalid, a later
   * version read by its version-00 prefix. Empty for anything else: the caller then starts a new trace.
   */
  public static Optional<TraceParent> parse(String header) {
    if (header == null) {
      return Optional.empty();
    }
    String value = header.trim();
    boolean valid = value.startsWith("00-") ? VERSION_00.matcher(value).matches()
        : LATER_VERSION.matcher(value).matches();
    if (!valid) {
      return Optional.empty();
    }
    String traceId = value.substring(3, 35);
    String spanId = value.substring(36, 52);
    if (traceId.equals(ZERO_TRACE) || spanId.equals(ZERO_SPAN)) {
      return Optional.empty();
    }
    return Optional.of(new TraceParent(traceId, spanId, value.substring(53, 55)));
  }

  /** A new trace, as the first hop (sampled: every request is logged). */
  public static TraceParent newTrace() {
    return new TraceParent(randomHex(16), randomHex(8), "01");
  }

  /** The next hop of this trace: same trace id and flags, a new span id. */
  public TraceParent child() {
    return new TraceParent(traceId, randomHex(8), flags);
  }

  /** The header value; always version 00, the one version this code writes. */
  public String header() {
    return "00-" + traceId + "-" + spanId + "-" + flags;
  }

  @Override
  public String toString() {
    return header();
  }

  /** Non-blocking randomness: ids need to be unique, not unguessable. Never all zeros (invalid). */
  private static String randomHex(int bytes) {
    byte[] id = new byte[bytes];
    do {
      ThreadLocalRandom.current().nextBytes(id);
    } while (isZero(id));
    return HEX.formatHex(id);
  }

  private static boolean isZero(byte[] id) {
    for (byte b : id) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
