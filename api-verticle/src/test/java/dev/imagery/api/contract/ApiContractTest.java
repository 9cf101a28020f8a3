package dev.imagery.api.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The document loads as OpenAPI 3.1, and the router's copy differs from it only in the bodies it must not read. */
class ApiContractTest {

  private static Vertx vertx;
  private static ApiContract contract;
  private static JsonObject document;

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    contract = ApiContract.load(vertx).await(30, TimeUnit.SECONDS);
    document = ApiContract.parse(contract.document().toString(StandardCharsets.UTF_8));
  }

  @AfterAll
  static void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theDocumentIsOpenApi31() {
    assertThat(document.getString("openapi")).startsWith("3.1.");
    assertThat(contract.routing().getVersion().name()).isEqualTo("V3_1");
  }

  @Test
  void theUploadsStreamTheirBodySoTheRouterHasNoneToValidate() {
    assertThat(contract.streamedOperations()).containsExactlyInAnyOrder("uploadImage", "uploadImageRaw");
    for (String id : contract.streamedOperations()) {
      assertThat(operationIn(document, id).getJsonObject("requestBody")).as("documented body of %s", id).isNotNull();
      assertThat(contract.routing().operation(id).getRequestBody()).as("validated body of %s", id).isNull();
    }
  }

  @Test
  void theRouterKeepsEveryOperationAndParameter() {
    assertThat(contract.routing().operations().stream().map(Operation::getOperationId).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("createImage", "putImage", "getImage", "deleteImage", "uploadImage",
            "uploadImageRaw", "getOriginal", "getResult", "getThumbnail", "getLiveness", "getReadiness",
            "getOpenApiDocument");
    Operation getImage = contract.routing().operation("getImage");
    assertThat(getImage.getParameters()).extracting(p -> p.getIn() + " " + p.getName())
        .containsExactlyInAnyOrder("path id", "query waitFor", "query timeout");
    assertThat(getImage.getParameters()).extracting(p -> p.getExtensions().get(ApiContract.ERROR_CODE))
        .containsExactlyInAnyOrder("INVALID_ID", "INVALID_WAIT_FOR", "INVALID_TIMEOUT");
  }

  @Test
  void aDocumentThatIsNotValidOpenApiDoesNotLoad() {
    JsonObject broken = ApiContract.forRouting(document);
    operationIn(broken, "getImage").remove("responses");
    operationIn(broken, "getImage").put("responses", "none");

    assertThatThrownBy(() -> OpenAPIContract.from(vertx, broken).await(30, TimeUnit.SECONDS))
        .isInstanceOf(io.vertx.openapi.contract.OpenAPIContractException.class)
        .hasStackTraceContaining("#/paths/~1image~1%7Bid%7D/get/responses");
  }

  static JsonObject operationIn(JsonObject doc, String operationId) {
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        Object operation = paths.getJsonObject(path).getValue(method);
        if (operation instanceof JsonObject o && operationId.equals(o.getString("operationId"))) {
          return o;
        }
      }
    }
    throw new AssertionError("no operation " + operationId);
  }
}
