package dev.imagery.api.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every error the public API's code can answer is in the OpenAPI document: its code in the ErrorCode schema, and
 * the pair (status, code) as an example of a response with that status. The admin routes (management port) are
 * not part of the document.
 */
class ErrorCodesDocumentedTest {

  private static final Path SOURCES = Path.of("src/main/java");
  /** {@code new ApiException(404, "NOT_FOUND", ...)} and ErrorResponses' {@code new ApiError(503, "UNAVAILABLE", ...)}. */
  private static final Pattern EMITTED = Pattern.compile("new Api(?:Exception|Error)\\(\\s*(\\d{3}),\\s*\"([A-Z_]+)\"");
  /** Answered by the router itself, for no operation in particular (a method the path does not take). */
  private static final Set<String> ROUTER_LEVEL = Set.of("405 METHOD_NOT_ALLOWED");
  /**
   * Documented ahead of the code that emits them (issue 9 items 1 and 3). Each one leaves this list when its code
   * is merged; the test fails while an emitted code is still listed here.
   */
  private static final Set<String> DOCUMENTED_NOT_EMITTED_YET = Set.of("401 UNAUTHORIZED", "429 TOO_MANY_REQUESTS");

  @Test
  void everyEmittedErrorIsDocumentedWithItsStatus() throws IOException {
    Set<String> emitted = emittedErrors();
    JsonObject document = document();
    Set<String> codes = errorCodes(document);
    Set<String> documented = documentedErrors(document);

    assertThat(emitted).as("errors found in the code").contains("400 INVALID_ID", "503 BUSY", "400 INVALID_REQUEST");
    assertThat(emitted).allSatisfy(error ->
        assertThat(codes).as("ErrorCode lists %s", error).contains(error.substring(4)));
    Set<String> perOperation = new TreeSet<>(emitted);
    perOperation.removeAll(ROUTER_LEVEL);
    assertThat(documented).as("(status, code) pairs in the responses' examples").containsAll(perOperation);

    assertThat(emitted).as("emitted now: take them off DOCUMENTED_NOT_EMITTED_YET")
        .doesNotContainAnyElementsOf(DOCUMENTED_NOT_EMITTED_YET);
    assertThat(documented).containsAll(DOCUMENTED_NOT_EMITTED_YET);
    Set<String> emittedOrComing = new TreeSet<>();
    Stream.concat(emitted.stream(), DOCUMENTED_NOT_EMITTED_YET.stream())
        .forEach(error -> emittedOrComing.add(error.substring(4)));
    assertThat(codes).as("every documented code is emitted").containsExactlyInAnyOrderElementsOf(emittedOrComing);
  }

  @Test
  void everyParameterErrorCodeIsAnErrorCode() throws IOException {
    JsonObject document = document();
    JsonObject parameters = document.getJsonObject("components").getJsonObject("parameters");

    assertThat(parameters.fieldNames()).allSatisfy(name -> {
      String code = parameters.getJsonObject(name).getString(ApiContract.ERROR_CODE);
      assertThat(code).as("x-error-code of %s", name).isNotNull();
      assertThat(errorCodes(document)).contains(code);
    });
  }

  private static Set<String> emittedErrors() throws IOException {
    Set<String> found = new TreeSet<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      files.filter(path -> path.toString().endsWith(".java"))
          .filter(path -> !path.toString().contains("/admin/"))
          .forEach(path -> {
            try {
              Matcher matcher = EMITTED.matcher(Files.readString(path));
              while (matcher.find()) {
                found.add(matcher.group(1) + " " + matcher.group(2));
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
    return found;
  }

  private static JsonObject document() throws IOException {
    try (InputStream in = ErrorCodesDocumentedTest.class.getClassLoader().getResourceAsStream(ApiContract.RESOURCE)) {
      return ApiContract.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static Set<String> errorCodes(JsonObject document) {
    JsonArray anyOf = schemas(document).getJsonObject("ErrorCode").getJsonArray("anyOf");
    Set<String> codes = new HashSet<>();
    for (Object option : anyOf) {
      JsonArray values = ((JsonObject) option).getJsonArray("enum");
      if (values != null) {
        values.forEach(value -> codes.add((String) value));
      }
    }
    return codes;
  }

  /** "status CODE" of every JSON error example under a response with that status. */
  private static Set<String> documentedErrors(JsonObject document) {
    Set<String> found = new TreeSet<>();
    JsonObject paths = document.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String key : paths.getJsonObject(path).fieldNames()) {
        Object operation = paths.getJsonObject(path).getValue(key);
        if (!(operation instanceof JsonObject o) || !o.containsKey("responses")) {
          continue;
        }
        JsonObject responses = o.getJsonObject("responses");
        for (String status : responses.fieldNames()) {
          JsonObject response = resolve(document, responses.getJsonObject(status));
          JsonObject json = response.getJsonObject("content", new JsonObject()).getJsonObject("application/json");
          if (json == null || !json.containsKey("examples")) {
            continue;
          }
          JsonObject examples = json.getJsonObject("examples");
          for (String name : examples.fieldNames()) {
            Object value = resolve(document, examples.getJsonObject(name)).getValue("value");
            if (value instanceof JsonObject error && error.containsKey("error")) {
              found.add(("default".equals(status) ? "500" : status) + " " + error.getString("error"));
            }
          }
        }
      }
    }
    return found;
  }

  private static JsonObject resolve(JsonObject document, JsonObject maybeRef) {
    String ref = maybeRef.getString("$ref");
    if (ref == null) {
      return maybeRef;
    }
    JsonObject target = document;
    for (String part : ref.substring(2).split("/")) {
      target = target.getJsonObject(part.replace("~1", "/").replace("~0", "~"));
    }
    return target;
  }

  private static JsonObject schemas(JsonObject document) {
    return document.getJsonObject("components").getJsonObject("schemas");
  }
}
