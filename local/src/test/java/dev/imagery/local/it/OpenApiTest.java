package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.api.contract.ApiContract;
import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document against the running API and its real backends: it is served at /openapi.yaml, requests that
 * break it are refused with JSON 400s that leave the image alone, and the real answers along an image's life (their
 * statuses, and the JSON records and errors against their schemas) are what it documents.
 */
class OpenApiTest {

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;

  private static Vertx vertx;
  private static ResponseValidator responses;

  @BeforeAll
  static void loadTheContract() throws Exception {
    vertx = Vertx.vertx();
    responses = ResponseValidator.create(vertx, ApiContract.load(vertx).await(30, TimeUnit.SECONDS).routing());
  }

  @AfterAll
  static void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theDocumentIsServedAsYaml() throws Exception {
    HttpResponse<byte[]> served = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(api.base() + "/openapi.yaml")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.headers().firstValue("Content-Type")).hasValue("application/yaml");
    try (InputStream in = ApiContract.class.getClassLoader().getResourceAsStream(ApiContract.RESOURCE)) {
      assertThat(served.body()).isEqualTo(in.readAllBytes());
    }
  }

  @Test
  void requestsThatBreakTheContractAre400sAndLeaveTheImageAlone() {
    String id = api.createImage();

    ErrorStatusTest.assertError(api.get("/image/" + id + "?waitFor=PROCESSED"), 400, "INVALID_WAIT_FOR");
    ErrorStatusTest.assertError(api.get("/image/" + id + "?waitFor=final&timeout=0"), 400, "INVALID_TIMEOUT");
    ErrorStatusTest.assertError(api.get("/image/" + id + "?waitFor=final&timeout=2.5"), 400, "INVALID_TIMEOUT");
    ErrorStatusTest.assertError(api.get("/image/" + id + "-0/original"), 400, "INVALID_ID");
    ErrorStatusTest.assertError(api.upload(id + "0", Images.resource("pillow/hopper.jpg")), 400, "INVALID_ID");

    JsonObject record = api.get("/image/" + id).json();
    assertThat(record.getString("state")).isEqualTo("created");
    assertThat(record.getLong("version")).isZero();
  }

  @Test
  void anUpperCaseIdIsTheSameImage() {
    String id = api.createImage();

    ApiClient.Response upper = api.get("/image/" + id.toUpperCase(Locale.ROOT));

    assertThat(upper.status()).isEqualTo(200);
    assertThat(upper.json().getString("id")).isEqualTo(id);
  }

  @Test
  void theAnswersAlongAnImagesLifeAreTheDocumentedOnes() {
    String id = UUID.randomUUID().toString();
    byte[] photo = Images.resource("pillow/hopper.jpg");

    conforms("putImage", api.create(id), 201);
    conforms("putImage", api.create(id), 200);
    conforms("createImage", api.send("POST", "/image"), 201);
    conforms("getOriginal", api.get("/image/" + id + "/original"), 404);
    conforms("uploadImage", api.upload(id, new byte[0]), 400);
    conforms("uploadImage", api.upload(id, "file", "page.png", "<html></html>".getBytes()), 415);
    conforms("uploadImage", api.upload(id, photo), 202);
    conforms("getImage", api.get("/image/" + id + "?waitFor=processed&timeout=30"), 200);
    conforms("getImage", api.get("/image/" + id), 200);
    conforms("getImage", api.get("/image/" + id + "?waitFor=never"), 400);
    conforms("getImage", api.get("/image/00000000-0000-4000-8000-000000000000"), 404);
    conforms("getOriginal", api.get("/image/" + id + "/original"), 200);
    conforms("getResult", api.get("/image/" + id + "/result"), 200);
    conforms("getThumbnail", api.get("/image/" + id + "/thumbnail"), 200);
    conforms("uploadImage", api.upload(id, Images.resource("pngsuite/basn2c08.png")), 409);
    conforms("deleteImage", api.send("DELETE", "/image/" + id), 204);
    conforms("deleteImage", api.send("DELETE", "/image/" + id), 404);
    conforms("getImage", api.get("/image/" + id), 404);
    conforms("deleteImage", api.send("DELETE", "/image/not-a-uuid"), 400);
    conforms("getLiveness", api.get("/health/live"), 200);
    conforms("getReadiness", api.get("/health/ready"), 200);
  }

  /**
   * The answer has the expected status, the operation documents that status, and a JSON body matches its schema.
   * Headers are left out: vertx-openapi's decoder of header values refuses quoted ones (an ETag, the file name of a
   * Content-Disposition) as undecodable.
   */
  private static void conforms(String operationId, ApiClient.Response response, int status) {
    assertThat(response.status()).as("%s: %s", operationId, response).isEqualTo(status);
    String type = response.headers().firstValue("Content-Type").orElse(null);
    boolean json = type != null && type.startsWith("application/json");
    ValidatableResponse answer = json
        ? ValidatableResponse.create(status, Buffer.buffer(response.body()), "application/json")
        : ValidatableResponse.create(status);
    try {
      responses.validate(answer, operationId).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(operationId + " answered " + status + " " + (json ? response.body() : type)
          + ", which its contract does not say: " + e.getMessage(), e);
    }
  }
}
