package dev.imagery.api.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The browser-facing hardening headers. Every response (JSON, errors, image bytes) gets {@code nosniff}, so a
 * browser never reads an answer as anything but its declared type, {@code Referrer-Policy: no-referrer}, so image
 * URLs (which name the image) never leak to other sites, and a Content-Security-Policy that allows nothing and no
 * framing. The web page gets its own policy: its inline script and style are allowed by their SHA-256 hashes, computed
 * from the page itself when the API starts, so the policy follows any edit of the page and no other inline code runs.
 */
public final class SecurityHeaders {

  /** For everything that is not the page: nothing may load, run or frame it. */
  static final String API_POLICY = "default-src 'none'; frame-ancestors 'none'";

  private static final Pattern INLINE_SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);
  private static final Pattern INLINE_STYLE = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL);

  private final String pagePolicy;

  private SecurityHeaders(String pagePolicy) {
    this.pagePolicy = pagePolicy;
  }

  /**
   * The headers for the page read from the classpath resource {@code page} (e.g. {@code webroot/index.html}).
   * Reads it once: call it while the process starts, off the event loop.
   */
  public static SecurityHeaders forPage(String page) {
    try (InputStream in = SecurityHeaders.class.getClassLoader().getResourceAsStream(page)) {
      if (in == null) {
        throw new IllegalStateException("no " + page + " on the classpath");
      }
      return new SecurityHeaders(pagePolicy(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + page, e);
    }
  }

  /**
   * The page's policy: scripts and styles from this origin or inline with a listed hash; images from this API, the
   * page's own previews ({@code blob:}) and its empty favicon ({@code data:}); requests only to this API; no framing,
   * no {@code <base>}, forms only to this origin.
   */
  static String pagePolicy(String html) {
    return "default-src 'none'"
        + "; script-src 'self'" + hashes(INLINE_SCRIPT, html)
        + "; style-src 'self'" + hashes(INLINE_STYLE, html)
        + "; img-src 'self' blob: data:"
        + "; connect-src 'self'"
        + "; base-uri 'none'"
        + "; form-action 'self'"
        + "; frame-ancestors 'none'";
  }

  /** The page's policy, as {@link #page()} sends it. */
  String pagePolicy() {
    return pagePolicy;
  }

  /** For every route: nosniff, no referrer, and the policy that allows nothing (the page's handler replaces it). */
  public Handler<RoutingContext> everyResponse() {
    return ctx -> {
      ctx.response()
          .putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "no-referrer")
          .putHeader("Content-Security-Policy", API_POLICY);
      ctx.next();
    };
  }

  /** For the page ({@code /}, {@code /index.html}): its own policy, and X-Frame-Options for older browsers. */
  public Handler<RoutingContext> page() {
    return ctx -> {
      ctx.response()
          .putHeader("Content-Security-Policy", pagePolicy)
          .putHeader("X-Frame-Options", "DENY");
      ctx.next();
    };
  }

  /** {@code nosniff} alone, for the management port's JSON (no browser is meant to see it). */
  public static Handler<RoutingContext> noSniff() {
    return ctx -> {
      ctx.response().putHeader("X-Content-Type-Options", "nosniff");
      ctx.next();
    };
  }

  private static String hashes(Pattern block, String html) {
    Set<String> sources = new LinkedHashSet<>();
    Matcher matcher = block.matcher(html);
    while (matcher.find()) {
      sources.add(" 'sha256-" + sha256(matcher.group(1)) + "'");
    }
    return String.join("", sources);
  }

  private static String sha256(String text) {
    try {
      return Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
