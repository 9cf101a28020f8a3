package dev.imagery.local.testing;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A plain HTTP client for the API (JDK HttpClient, HTTP/1.1), as any REST client would use it: the one the
 * end-to-end tests and the chaos tests share. A connection error or a timeout is thrown as an
 * {@link UncheckedIOException} whose cause says which ({@link java.net.http.HttpTimeoutException} for a timeout).
 */
public final class ApiClient {

  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration PROCESSING_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private final String base;
  private final Duration requestTimeout;
  private final HttpClient http;
  /** The Authorization header of every request, or null (the API without authentication). */
  private final String authorization;

  public ApiClient(String base) {
    this(base, REQUEST_TIMEOUT);
  }

  public ApiClient(String base, Duration requestTimeout) {
    this(base, requestTimeout, HttpClient.newBuilder()
        .connectTimeout(CONNECT_TIMEOUT)
        .version(HttpClient.Version.HTTP_1_1)
        .build());
  }

  private ApiClient(String base, Duration requestTimeout, HttpClient http) {
    this(base, requestTimeout, http, null);
  }

  private ApiClient(String base, Duration requestTimeout, HttpClient http, String authorization) {
    this.base = base;
    this.requestTimeout = requestTimeout;
    this.http = http;
    this.authorization = authorization;
  }

  /** The same client sending {@code Authorization: Bearer <token>} (an API key or a JWT) with every request. */
  public ApiClient withBearer(String token) {
    return new ApiClient(base, requestTimeout, http, "Bearer " + token);
  }

  /** The same client sending no Authorization header. */
  public ApiClient anonymous() {
    return new ApiClient(base, requestTimeout, http, null);
  }

  /** The API on 127.0.0.1:{@code port}, each request given {@code requestTimeout}. */
  public static ApiClient localhost(int port, Duration requestTimeout) {
    return new ApiClient(local(port), requestTimeout);
  }

  /**
   * The same client (its connections and request timeout) addressed to the API on 127.0.0.1:{@code port}: for a
   * fleet of replicas, one client whatever the replica.
   */
  public ApiClient at(int port) {
    return new ApiClient(local(port), requestTimeout, http, authorization);
  }

  private static String local(int port) {
    return "http://127.0.0.1:" + port;
  }

  public String base() {
    return base;
  }

  public Response send(String method, String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .method(method, HttpRequest.BodyPublishers.noBody()));
  }

  public Response get(String path) {
    return send("GET", path);
  }

  public byte[] bytes(String path) {
    try {
      HttpResponse<byte[]> response = http.send(authorized(HttpRequest.newBuilder(URI.create(base + path)))
          .timeout(requestTimeout).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new AssertionError("GET " + path + " answered " + response.statusCode());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code PUT /image/{id}}: the idempotent create with a client-chosen UUID. */
  public Response create(String id) {
    return send("PUT", "/image/" + id);
  }

  public String createImage() {
    Response created = send("POST", "/image");
    if (created.status() != 201) {
      throw new AssertionError("create answered " + created);
    }
    return created.json().getString("id");
  }

  /** Creates {@code id} with PUT and uploads {@code content}; fails unless they answer 201 and 202. The id. */
  public String createAndUpload(String id, byte[] content) {
    Response created = create(id);
    if (created.status() != 201) {
      throw new AssertionError("create " + id + " answered " + created);
    }
    Response uploaded = upload(id, content);
    if (uploaded.status() != 202) {
      throw new AssertionError("upload " + id + " answered " + uploaded);
    }
    return id;
  }

  /** Uploads {@code content} as the multipart field {@code field}, with a Content-Length. */
  public Response upload(String id, String field, String filename, byte[] content) {
    Multipart body = new Multipart().file(field, filename, content);
    return send(HttpRequest.newBuilder(URI.create(base + "/image/" + id + "/upload"))
        .header("Content-Type", body.contentType())
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())));
  }

  /** Asks with {@code Expect: 100-continue} before sending the body, as curl does for larger files. */
  public Response uploadExpectingContinue(String id, byte[] content) {
    Multipart body = new Multipart().file("file", "photo", content);
    return send(HttpRequest.newBuilder(URI.create(base + "/image/" + id + "/upload"))
        .expectContinue(true)
        .header("Content-Type", body.contentType())
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())));
  }

  /** Sends only a request's head over a plain socket and returns the first status line the server answers. */
  public String statusLineOfHeadersOnly(String method, String path, String... headers) {
    URI uri = URI.create(base);
    try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout((int) Duration.ofSeconds(10).toMillis());
      StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\n");
      for (String header : headers) {
        head.append(header).append("\r\n");
      }
      socket.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Response upload(String id, byte[] content) {
    return upload(id, "file", "photo", content);
  }

  /** Uploads a file of unknown length, sent chunked: the server cannot judge the size up front. */
  public Response uploadChunked(String id, Supplier<InputStream> content) {
    Multipart framing = new Multipart();
    return send(HttpRequest.newBuilder(URI.create(base + "/image/" + id + "/upload"))
        .header("Content-Type", framing.contentType())
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SequenceInputStream(
            java.util.Collections.enumeration(List.of(
                new ByteArrayInputStream(framing.fileHeader("file", "big.jpg")),
                content.get(),
                new ByteArrayInputStream(framing.closing())))))));
  }

  /** {@code PUT /image/{id}/upload}: {@code content} as the body itself, with a Content-Length. */
  public Response uploadRaw(String id, String contentType, byte[] content) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/image/" + id + "/upload"))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content));
    return send(contentType == null ? request : request.header("Content-Type", contentType));
  }

  /** {@code PUT /image/{id}/upload} of a body of unknown length, sent chunked. */
  public Response uploadRawChunked(String id, String contentType, Supplier<InputStream> content) {
    return send(HttpRequest.newBuilder(URI.create(base + "/image/" + id + "/upload"))
        .header("Content-Type", contentType)
        .PUT(HttpRequest.BodyPublishers.ofInputStream(content)));
  }

  /** Polls the record until its state is one of {@code states}; the record as last seen. */
  public JsonObject awaitState(String id, String... states) {
    java.util.Set<String> wanted = java.util.Set.of(states);
    return Poll.await("image " + id + " to be " + wanted, PROCESSING_TIMEOUT, () -> get("/image/" + id).json(),
        json -> wanted.contains(json.getString("state")));
  }

  /** Polls until the image is processed or failed. */
  public JsonObject awaitFinal(String id) {
    return awaitState(id, "processed", "failed");
  }

  public Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = http.send(authorized(request).timeout(requestTimeout).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder request) {
    return authorization == null ? request : request.setHeader("Authorization", authorization);
  }

  public record Response(int status, String body, java.net.http.HttpHeaders headers) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  /** multipart/form-data framing, written by hand so tests control every byte. */
  public static final class Multipart {
    private final String boundary = "imagery-" + UUID.randomUUID();
    private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

    public String contentType() {
      return "multipart/form-data; boundary=" + boundary;
    }

    public Multipart field(String name, String value) {
      write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n");
      return this;
    }

    public Multipart file(String name, String filename, byte[] content) {
      out.writeBytes(fileHeader(name, filename));
      out.writeBytes(content);
      write("\r\n");
      return this;
    }

    public byte[] fileHeader(String name, String filename) {
      return ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename
          + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    }

    public byte[] closing() {
      return ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    }

    public byte[] bytes() {
      write("--" + boundary + "--\r\n");
      return out.toByteArray();
    }

    private void write(String text) {
      out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
