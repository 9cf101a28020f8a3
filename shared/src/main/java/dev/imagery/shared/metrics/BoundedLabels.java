package dev.imagery.shared.metrics;

import io.micrometer.core.instrument.config.MeterFilter;
import java.util.Set;

/**
 * Keeps label values to a known set where a client chooses them. HTTP/1 accepts any token as a method, so a client
 * could otherwise make a new series per request; the status code and the route template are bounded already.
 */
final class BoundedLabels {

  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT");

  private BoundedLabels() {
  }

  static MeterFilter httpMethods() {
    return MeterFilter.replaceTagValues("method", method -> METHODS.contains(method) ? method : "OTHER");
  }
}
