package dev.imagery.api.contract;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The API's OpenAPI document ({@code src/main/resources/openapi.yaml}): the bytes served at {@code /openapi.yaml},
 * and the contract that the public router is built from and validates requests by.
 *
 * <p>The router's copy of the contract differs from the served document in two ways, both about bodies, never about
 * routes or parameters:
 * <ul>
 *   <li>Operations marked {@code x-imagery-streamed-body: true} (the uploads) lose their {@code requestBody}. The
 *   validator would read the whole body into memory first (its request extractor calls {@code request.body()}),
 *   which the uploads exist to avoid: they stream from the socket to S3. Their parameters and headers are still
 *   validated; the upload flow checks the body as it streams (multipart framing, the file field, the type sniffed
 *   from the first bytes, the size limit).</li>
 *   <li>Response content of media types that vertx-openapi does not model (images, YAML) is dropped: it refuses to
 *   load a contract that has them, and responses are not validated anyway, only requests.</li>
 * </ul>
 */
public final class ApiContract {

  /** The classpath resource, and the path it is served at. */
  public static final String RESOURCE = "openapi.yaml";
  /** Marks an operation whose body the handler streams, so that nothing before it may read the body. */
  public static final String STREAMED_BODY = "x-imagery-streamed-body";
  /** On a parameter: the error code of a request that breaks its schema (else {@code INVALID_REQUEST}). */
  public static final String ERROR_CODE = "x-error-code";

  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch",
      "trace");

  private final Buffer document;
  private final OpenAPIContract routing;
  private final Set<String> streamed;

  private ApiContract(Buffer document, OpenAPIContract routing) {
    this.document = document;
    this.routing = routing;
    this.streamed = routing.operations().stream()
        .filter(operation -> Boolean.TRUE.equals(operation.getExtensions().get(STREAMED_BODY)))
        .map(Operation::getOperationId)
        .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * Reads and parses the document (a classpath read and a YAML parse, off the event loop), then loads the router's
   * copy, which vertx-openapi checks against the OpenAPI 3.1 schema: an invalid document fails the start.
   */
  public static Future<ApiContract> load(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      Buffer bytes = Buffer.buffer(readResource());
      return Map.entry(bytes, parse(bytes.toString(StandardCharsets.UTF_8)));
    }).compose(read -> OpenAPIContract.from(vertx, forRouting(read.getValue()))
        .map(routing -> new ApiContract(read.getKey(), routing)));
  }

  /** The document as written, served at {@code /openapi.yaml}. */
  public Buffer document() {
    return document;
  }

  /** The router's copy (see the class comment). */
  public OpenAPIContract routing() {
    return routing;
  }

  /** The ids of the operations whose body is streamed ({@link #STREAMED_BODY}). */
  public Set<String> streamedOperations() {
    return streamed;
  }

  /** Whether {@code request} is for an operation that streams its body. */
  public boolean streamsBody(HttpServerRequest request) {
    Operation operation = routing.findOperation(request.path(), request.method());
    return operation != null && streamed.contains(operation.getOperationId());
  }

  /** The route of {@code operationId}, which the document must have. */
  public static OpenAPIRoute route(RouterBuilder builder, String operationId) {
    OpenAPIRoute route = builder.getRoute(operationId);
    if (route == null) {
      throw new IllegalStateException("the OpenAPI document (" + RESOURCE + ") has no operation " + operationId);
    }
    return route;
  }

  private static byte[] readResource() {
    try (InputStream in = ApiContract.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** YAML to JSON, with safe types only (no tags that construct objects). */
  static JsonObject parse(String yaml) {
    Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    if (!(root instanceof Map<?, ?> map)) {
      throw new IllegalStateException(RESOURCE + " is not a YAML mapping");
    }
    return new JsonObject(jsonMap(map));
  }

  private static Map<String, Object> jsonMap(Map<?, ?> yaml) {
    Map<String, Object> json = new LinkedHashMap<>();
    // Keys such as the response code 200 may be read as numbers; JSON keys are strings.
    yaml.forEach((key, value) -> json.put(String.valueOf(key), jsonValue(value)));
    return json;
  }

  private static Object jsonValue(Object value) {
    if (value instanceof Map<?, ?> map) {
      return new JsonObject(jsonMap(map));
    }
    if (value instanceof List<?> list) {
      List<Object> items = new ArrayList<>(list.size());
      list.forEach(item -> items.add(jsonValue(item)));
      return new JsonArray(items);
    }
    if (value instanceof java.util.Date date) {
      return date.toInstant().toString();
    }
    return value;
  }

  /** The router's copy of {@code document}: see the class comment. */
  static JsonObject forRouting(JsonObject document) {
    JsonObject copy = document.copy();
    JsonObject paths = copy.getJsonObject("paths", new JsonObject());
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (!METHODS.contains(method)) {
          continue;
        }
        JsonObject operation = item.getJsonObject(method);
        if (operation.getBoolean(STREAMED_BODY, false)) {
          operation.remove("requestBody");
        }
        dropUnmodelledContent(operation.getJsonObject("responses", new JsonObject()));
      }
    }
    dropUnmodelledContent(copy.getJsonObject("components", new JsonObject())
        .getJsonObject("responses", new JsonObject()));
    return copy;
  }

  private static void dropUnmodelledContent(JsonObject responses) {
    for (String status : responses.fieldNames()) {
      JsonObject content = responses.getJsonObject(status).getJsonObject("content");
      if (content != null) {
        content.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
        if (content.isEmpty()) {
          responses.getJsonObject(status).remove("content");
        }
      }
    }
  }
}
