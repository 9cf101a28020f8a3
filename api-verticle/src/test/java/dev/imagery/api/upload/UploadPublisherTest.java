package dev.imagery.api.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * {@link UploadPublisher} over real HTTP request bodies: a Vert.x server on 127.0.0.1 hands each request, its head
 * read as the upload routes read it, to the test, and a client on a plain socket sends the body. The rules the TCK
 * checks on elements ({@link UploadPublisherTckTest}) are checked here on the bytes and the socket: what is read
 * from the client follows demand, the bytes come out whole and in order, and a broken or oversized body ends in
 * onError, never in onComplete (which would store a truncated object).
 */
class UploadPublisherTest {

  private static final int MIB = 1024 * 1024;

  private Vertx vertx;
  private HttpServer server;
  private long maxBytes = Long.MAX_VALUE;
  private final BlockingQueue<UploadPublisher> received = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(this::receive).listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** As the raw upload route does: paused, its head read, then the rest left to the publisher. */
  private void receive(HttpServerRequest request) {
    request.pause();
    SniffedFile.read(request).onSuccess(file -> received.add(new UploadPublisher(vertx.getOrCreateContext(),
        file.head(), file.body(), file.ended(), maxBytes)));
  }

  @Test
  void theBytesComeOutWholeInOrderAndInBatchesWithTheirSizeAndSha256() throws Exception {
    byte[] body = random(3 * MIB + 12_345);
    try (Client client = Client.put(server.actualPort(), body.length)) {
      client.sendInBackground(body, body.length);
      UploadPublisher publisher = next();
      Collector collector = new Collector(Long.MAX_VALUE);

      publisher.subscribe(collector);

      assertThat(collector.done.get(30, TimeUnit.SECONDS)).isEqualTo("complete");
      assertThat(collector.bytes.toByteArray()).isEqualTo(body);
      assertThat(collector.largestElement).isLessThanOrEqualTo(UploadPublisher.BATCH_BYTES);
      assertThat(collector.elements).as("batches, not 8 KiB chunks")
          .isEqualTo((body.length + UploadPublisher.BATCH_BYTES - 1) / UploadPublisher.BATCH_BYTES);
      assertThat(publisher.size()).isEqualTo(body.length);
      assertThat(publisher.sha256Hex()).isEqualTo(HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(body)));
    }
  }

  @Test
  void nothingMoreIsReadFromTheClientThanTheSubscriberAskedForPlusOneBatch() throws Exception {
    int size = 64 * MIB;
    byte[] body = random(size);
    try (Client client = Client.put(server.actualPort(), size)) {
      client.sendInBackground(body, size);
      UploadPublisher publisher = next();
      Collector collector = new Collector(1);

      publisher.subscribe(collector);
      Poll.until("one batch to arrive", () -> collector.elements == 1);
      // Wait until the client can push no more: the socket's buffers and the server's inbound queue are full.
      Poll.untilStable("the client to stall", client.sent::get);

      long bound = 2L * UploadPublisher.BATCH_BYTES + 64 * 1024; // the batch handed over, the next, one chunk
      assertThat(publisher.size()).as("bytes taken from the socket with one batch asked for").isLessThanOrEqualTo(bound);
      assertThat(client.sent.get()).as("the client is held back, not allowed to send it all").isLessThan(size);

      collector.subscription.request(Long.MAX_VALUE);
      assertThat(collector.done.get(60, TimeUnit.SECONDS)).isEqualTo("complete");
      assertThat(collector.bytes.size()).isEqualTo(size);
      assertThat(collector.bytes.toByteArray()).isEqualTo(body);
    }
  }

  @Test
  void aClientThatGoesAwayMidBodyEndsThePublisherWithAnError() throws Exception {
    byte[] body = random(2 * MIB);
    try (Client client = Client.put(server.actualPort(), 4 * MIB)) {
      client.send(body, body.length); // half of what it declared
      UploadPublisher publisher = next();
      Collector collector = new Collector(Long.MAX_VALUE);
      publisher.subscribe(collector);
      Poll.until("the first bytes to arrive", () -> collector.elements > 0);

      client.close();

      assertThat(collector.done.get(30, TimeUnit.SECONDS)).startsWith("error");
      assertThat(collector.bytes.size()).isLessThanOrEqualTo(body.length);
      assertThat(publisher.failure()).isPresent();
    }
  }

  @Test
  void aBodyOverTheLimitEndsWithPayloadTooLargeAndStopsReading() throws Exception {
    maxBytes = MIB;
    int size = 32 * MIB;
    byte[] body = random(size);
    try (Client client = Client.put(server.actualPort(), size)) {
      client.sendInBackground(body, size);
      UploadPublisher publisher = next();
      Collector collector = new Collector(Long.MAX_VALUE);

      publisher.subscribe(collector);

      assertThat(collector.done.get(30, TimeUnit.SECONDS)).isEqualTo("error PayloadTooLargeException");
      assertThat(collector.bytes.size()).as("never more than the limit handed over").isLessThanOrEqualTo(MIB);
      assertThat(publisher.failure()).containsInstanceOf(PayloadTooLargeException.class);
      Poll.untilStable("the client to stall", client.sent::get);
      assertThat(client.sent.get()).as("the socket is paused after the refusal").isLessThan(size);
    }
  }

  @Test
  void aSecondSubscriberGetsAnErrorAndTheFirstStillGetsEveryByte() throws Exception {
    byte[] body = random(MIB + 7);
    try (Client client = Client.put(server.actualPort(), body.length)) {
      client.sendInBackground(body, body.length);
      UploadPublisher publisher = next();
      Collector first = new Collector(Long.MAX_VALUE);
      Collector second = new Collector(Long.MAX_VALUE);

      publisher.subscribe(first);
      publisher.subscribe(second);

      assertThat(second.done.get(30, TimeUnit.SECONDS)).isEqualTo("error IllegalStateException");
      assertThat(second.subscribed).as("rule 1.9: onSubscribe before onError").isTrue();
      assertThat(second.elements).isZero();
      assertThat(first.done.get(30, TimeUnit.SECONDS)).isEqualTo("complete");
      assertThat(first.bytes.toByteArray()).isEqualTo(body);
    }
  }

  @Test
  void aFileShorterThanItsHeadIsPublishedFromTheHeadAlone() throws Exception {
    byte[] body = "GIF89a-tiny".getBytes(StandardCharsets.US_ASCII);
    try (Client client = Client.put(server.actualPort(), body.length)) {
      client.send(body, body.length);
      UploadPublisher publisher = next();
      Collector collector = new Collector(Long.MAX_VALUE);

      publisher.subscribe(collector);

      assertThat(collector.done.get(30, TimeUnit.SECONDS)).isEqualTo("complete");
      assertThat(collector.bytes.toByteArray()).isEqualTo(body);
      assertThat(publisher.size()).isEqualTo(body.length);
    }
  }

  private UploadPublisher next() throws InterruptedException {
    UploadPublisher publisher = received.poll(30, TimeUnit.SECONDS);
    assertThat(publisher).as("the server received the request").isNotNull();
    return publisher;
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  /** Collects what it is given; asks for {@code initialDemand} elements, then only when the test says so. */
  private static final class Collector implements Subscriber<ByteBuffer> {
    final long initialDemand;
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final CompletableFuture<String> done = new CompletableFuture<>();
    volatile Subscription subscription;
    volatile boolean subscribed;
    volatile int elements;
    volatile int largestElement;

    Collector(long initialDemand) {
      this.initialDemand = initialDemand;
    }

    @Override
    public void onSubscribe(Subscription s) {
      subscription = s;
      subscribed = true;
      s.request(initialDemand);
    }

    @Override
    public synchronized void onNext(ByteBuffer chunk) {
      largestElement = Math.max(largestElement, chunk.remaining());
      byte[] copy = new byte[chunk.remaining()];
      chunk.get(copy);
      bytes.writeBytes(copy);
      elements++;
    }

    @Override
    public void onError(Throwable t) {
      done.complete("error " + t.getClass().getSimpleName());
    }

    @Override
    public void onComplete() {
      done.complete("complete");
    }
  }

  /** A client on a plain socket: a PUT with a Content-Length, its body written as the test says, bytes counted. */
  private static final class Client implements AutoCloseable {
    final Socket socket;
    final OutputStream out;
    final AtomicLong sent = new AtomicLong();

    private Client(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
    }

    static Client put(int port, long contentLength) throws IOException {
      Client client = new Client(new Socket("127.0.0.1", port));
      client.out.write(("PUT /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: "
          + contentLength + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      return client;
    }

    void send(byte[] body, int length) throws IOException {
      for (int offset = 0; offset < length; offset += 64 * 1024) {
        int n = Math.min(64 * 1024, length - offset);
        out.write(body, offset, n);
        sent.addAndGet(n);
      }
      out.flush();
    }

    /** Writes on a thread of its own, which blocks when the server stops reading. */
    void sendInBackground(byte[] body, int length) {
      Thread writer = new Thread(() -> {
        try {
          send(body, length);
        } catch (IOException e) {
          // the server closed or the test ended: what was sent is counted
        }
      }, "test-upload-client");
      writer.setDaemon(true);
      writer.start();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Waits with a deadline (Awaitility), as the end-to-end tests do with local's Poll: no fixed sleeps. */
  private static final class Poll {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Duration INTERVAL = Duration.ofMillis(50);

    static void until(String what, BooleanSupplier condition) {
      Awaitility.await(what).atMost(DEADLINE).pollInterval(INTERVAL).until(condition::getAsBoolean);
    }

    /** Until {@code value} reads the same for half a second: the thing it counts stopped. */
    static void untilStable(String what, java.util.function.LongSupplier value) {
      AtomicLong last = new AtomicLong(value.getAsLong());
      Awaitility.await(what + " (a count that stops moving)").atMost(DEADLINE).pollInterval(INTERVAL)
          .during(Duration.ofMillis(500)).until(() -> {
            long now = value.getAsLong();
            return now == last.getAndSet(now);
          });
    }
  }
}
