package dev.imagery.api.contract;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;

/** {@code GET /openapi.yaml}: the document itself, as written, so that clients can generate from it. */
public final class ContractRoutes {

  /** The YAML media type (RFC 9512); it takes no charset parameter, YAML being UTF-8. */
  public static final String YAML = "application/yaml";

  private final ApiContract contract;

  public ContractRoutes(ApiContract contract) {
    this.contract = contract;
  }

  public void bind(RouterBuilder builder) {
    ApiContract.route(builder, "getOpenApiDocument").addHandler(this::getOpenApiDocument);
  }

  private void getOpenApiDocument(RoutingContext ctx) {
    ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, YAML)
        // A new release may change it: revalidate rather than keep a stale contract.
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .end(contract.document());
  }
}
