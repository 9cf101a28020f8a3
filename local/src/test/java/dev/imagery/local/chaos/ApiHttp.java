package dev.imagery.local.chaos;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/** A plain HTTP client for the API processes (JDK HttpClient, HTTP/1.1), on 127.0.0.1 only. */
final class ApiHttp {

  private final Duration requestTimeout;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(3))
      .version(HttpClient.Version.HTTP_1_1)
      .build();

  ApiHttp(Duration requestTimeout) {
    this.requestTimeout = requestTimeout;
  }

  record Response(int status, String body, java.net.http.HttpHeaders headers) {
    JsonObject json() {
      return new JsonObject(body);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  /** {@code PUT /image/{id}}: idempotent create with a client UUID. */
  Response create(int port, String id) throws IOException {
    return send(request(port, "/image/" + id).PUT(HttpRequest.BodyPublishers.noBody()));
  }

  Response get(int port, String id) throws IOException {
    return send(request(port, "/image/" + id).GET());
  }

  /** {@code POST /image/{id}/upload}, the bytes in the multipart field {@code file}, with a Content-Length. */
  Response upload(int port, String id, byte[] content) throws IOException {
    String boundary = "chaos-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream(content.length + 512);
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(content);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return send(request(port, "/image/" + id + "/upload")
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
  }

  /** The same calls, failing the test on a connection error instead of throwing it: for tests without chaos. */
  Response createOrFail(int port, String id) {
    return unchecked(() -> create(port, id));
  }

  Response uploadOrFail(int port, String id, byte[] content) {
    return unchecked(() -> upload(port, id, content));
  }

  private HttpRequest.Builder request(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(requestTimeout);
  }

  private Response send(HttpRequest.Builder request) throws IOException {
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private interface Call {
    Response call() throws IOException;
  }

  private static Response unchecked(Call call) {
    try {
      return call.call();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] image(String path) {
    try (InputStream in = ApiHttp.class.getResourceAsStream("/images/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no test image " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
