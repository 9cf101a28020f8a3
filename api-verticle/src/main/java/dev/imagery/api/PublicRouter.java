package dev.imagery.api;

import dev.imagery.api.auth.CallerGate;
import dev.imagery.api.contract.ApiContract;
import dev.imagery.api.contract.ContractRoutes;
import dev.imagery.api.contract.ContractViolations;
import dev.imagery.api.contract.ParameterValidation;
import dev.imagery.api.health.HealthRoutes;
import dev.imagery.api.http.AccessLog;
import dev.imagery.api.http.ApiException;
import dev.imagery.api.http.ErrorResponses;
import dev.imagery.api.http.SecurityHeaders;
import dev.imagery.api.image.ImageRoutes;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public port's router. Its API routes come from the OpenAPI document (ApiContract): each operation is a route
 * with the document's method and path, and validates its parameters before the handler bound to its
 * {@code operationId} runs. Besides them only the web page and the refusal of {@code /admin/*}.
 */
public final class PublicRouter {

  /** The web page's directory on the classpath. */
  public static final String WEBROOT = "webroot";

  private static final Logger LOG = LoggerFactory.getLogger(PublicRouter.class);

  /** The router, and the documented operations that no handler was bound to (they answer 405). */
  public record Built(Router router, List<String> unbound) {
  }

  private PublicRouter() {
  }

  public static Built build(Vertx vertx, ApiContract contract, SecurityHeaders headers, CallerGate callers,
                            ImageRoutes images, HealthRoutes health) {
    RouterBuilder builder = RouterBuilder.create(vertx, contract.routing());
    AtomicReference<Router> built = new AtomicReference<>();
    // Root handlers run on every request, in this order, before the operation's validation and handler.
    builder.rootHandler(new AccessLog(built::get)); // first: the request's trace, and its access log line
    // Before anything that may answer asynchronously (a JWT check that fetches keys; the router's validator, which
    // runs on a worker thread, for an operation with a body): a flowing request
    // drops the body chunks that arrive while nobody listens.
    builder.rootHandler(ctx -> {
      if (contract.streamsBody(ctx.request())) {
        ctx.request().pause();
      }
      ctx.next();
    });
    builder.rootHandler(headers.everyResponse());
    // Then who the caller is (401) and its limits (429), for /image and everything under it, routes added later
    // included; before the validation, so that a caller without credentials learns nothing of the contract.
    builder.rootHandler(callers);
    images.bind(builder);
    health.bind(builder);
    new ContractRoutes(contract).bind(builder);

    List<String> unbound = builder.getRoutes().stream()
        .filter(route -> route.getHandlers().isEmpty())
        .map(route -> route.getOperation().getOperationId())
        .sorted()
        .toList();
    for (OpenAPIRoute route : builder.getRoutes()) {
      // The caller check is the API's own, not the router's: its mode (IMAGERY_AUTH_MODE) may be none, and the
      // router would refuse to build for a documented scheme without a handler. The document describes it.
      route.setDoSecurity(false);
      route.addFailureHandler(ContractViolations.of(route.getOperation()));
      if (route.getHandlers().isEmpty()) {
        // Documented ahead of its handler (work in progress): the router would answer a bare 503 for it, while the
        // path does not take that method yet.
        route.setDoValidation(false).addHandler(PublicRouter::notRoutedYet);
      } else {
        // The router's validation, without its per-request costs (see ParameterValidation).
        ParameterValidation.replaceRouterValidation(contract.routing(), route);
      }
    }
    if (!unbound.isEmpty()) {
      LOG.warn("documented in {} but not routed yet (405): {}", ApiContract.RESOURCE, unbound);
    }

    Router router = builder.createRouter();
    built.set(router);
    // Never here, however the path is spelled: they live on the management port (AdminServer).
    router.route("/admin/*").handler(PublicRouter::notHere);
    // The page's policy on the page only: anything else the static route answers (a 404) keeps the deny-all one.
    router.getWithRegex("/(index\\.html)?").handler(headers.page());
    router.get("/*").handler(StaticHandler.create(WEBROOT).setCachingEnabled(false));
    router.route().failureHandler(ErrorResponses::handle);
    router.errorHandler(404, ErrorResponses::handle);
    router.errorHandler(405, ErrorResponses::handle);
    return new Built(router, unbound);
  }

  private static void notHere(RoutingContext ctx) {
    throw new ApiException(404, "NOT_FOUND", "no such resource");
  }

  private static void notRoutedYet(RoutingContext ctx) {
    ctx.fail(405);
  }
}
