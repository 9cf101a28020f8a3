package dev.imagery.api.http;

import static net.logstash.logback.argument.StructuredArguments.v;

import dev.imagery.shared.image.ImageIds;
import dev.imagery.shared.logging.LogContext;
import dev.imagery.shared.logging.TraceParent;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a router: the request's trace, and one access log line when it ends.
 *
 * <p>The trace: a valid W3C {@code traceparent} from the client is continued (its trace id, a span id of ours), and
 * anything else (absent, malformed) starts a new trace; either way the response's {@code traceparent} header names it,
 * and it goes into the request's {@link LogContext} with the image id of the path, so every line the request logs
 * carries them, and the job it queues carries the trace to the worker ({@code JobQueue.send}).
 *
 * <p>The line: method, route template, path, status, bytes in and out, duration, the caller when authenticated,
 * as JSON fields (structured arguments) beside the request's trace and image id. Health checks log at DEBUG: load
 * balancers and probes call them every few seconds.
 */
public final class AccessLog implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
  private static final Pattern IMAGE_PATH = Pattern.compile("^/image/([^/]+)");
  private static final Pattern PARAMETER = Pattern.compile(":[A-Za-z0-9_]+");

  private final Supplier<Router> router;
  /** Route templates as patterns, compiled once each. */
  private final Map<String, Pattern> templates = new ConcurrentHashMap<>();

  public AccessLog(Router router) {
    this(() -> router);
  }

  /** For a router that is built after its first handler (RouterBuilder's root handlers come before it). */
  public AccessLog(Supplier<Router> router) {
    this.router = router;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long started = System.nanoTime();
    HttpServerRequest request = ctx.request();
    Optional<TraceParent> given = TraceParent.parse(request.getHeader(TraceParent.HEADER));
    TraceParent trace = given.map(TraceParent::child).orElseGet(TraceParent::newTrace);
    LogContext.putTrace(trace);
    imageIdOf(ctx.normalizedPath()).ifPresent(id -> LogContext.put(LogContext.IMAGE_ID, id));
    ctx.response().putHeader(TraceParent.HEADER, trace.header());
    ctx.addEndHandler(done -> log(ctx, started, done.succeeded()));
    ctx.next();
  }

  private void log(RoutingContext ctx, long started, boolean completed) {
    String route = routeOf(ctx);
    if (LogContext.fields().get(LogContext.IMAGE_ID) == null) {
      // POST /image: the id is the one just created.
      imageIdOf(Optional.ofNullable(ctx.response().headers().get(HttpHeaders.LOCATION)).orElse(""))
          .ifPresent(id -> LogContext.put(LogContext.IMAGE_ID, id));
    }
    boolean health = route.startsWith("/health/");
    if (health ? !LOG.isDebugEnabled() : !LOG.isInfoEnabled()) {
      return;
    }
    String caller = Optional.ofNullable(ctx.user()).map(User::subject).orElse("-");
    String format = "{} {} {} {} B in, {} B out, {} ms, caller {}, path {}{}";
    Object[] arguments = {
        v("method", ctx.request().method().name()),
        v("route", route),
        v("status", ctx.response().getStatusCode()),
        v("requestBytes", ctx.request().bytesRead()),
        v("responseBytes", ctx.response().bytesWritten()),
        v("durationMs", (System.nanoTime() - started) / 1_000_000),
        v("caller", caller),
        v("path", ctx.request().path()),
        // The connection closed before the response ended: the client never got it whole.
        completed ? "" : ", closed before the response ended"};
    if (health) {
      LOG.debug(format, arguments);
    } else {
      LOG.info(format, arguments);
    }
  }

  /** The template of the first route that matches, as the router chose it: {@code /image/:id/upload}. */
  private String routeOf(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    for (Route route : router.get().getRoutes()) {
      String template = route.getPath();
      boolean anyMethod = route.methods() == null || route.methods().isEmpty();
      // A template with parameters counts as a regex path too; only pure regex routes have no template.
      if (template == null || !(anyMethod || route.methods().contains(ctx.request().method()))) {
        continue;
      }
      if (templates.computeIfAbsent(template, AccessLog::compile).matcher(path).matches()) {
        return template;
      }
    }
    return "unmatched";
  }

  private static Pattern compile(String template) {
    String prefix = template.endsWith("*") ? template.substring(0, template.length() - 1) : template;
    StringBuilder regex = new StringBuilder();
    Matcher parameter = PARAMETER.matcher(prefix);
    int last = 0;
    while (parameter.find()) {
      regex.append(Pattern.quote(prefix.substring(last, parameter.start()))).append("[^/]+");
      last = parameter.end();
    }
    regex.append(Pattern.quote(prefix.substring(last)));
    if (template.endsWith("*")) {
      regex.append(".*");
    }
    return Pattern.compile(regex.toString());
  }

  private static Optional<String> imageIdOf(String path) {
    Matcher matcher = IMAGE_PATH.matcher(path);
    return matcher.find() ? ImageIds.parse(matcher.group(1)) : Optional.empty();
  }
}
