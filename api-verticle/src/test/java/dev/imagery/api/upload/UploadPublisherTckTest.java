package dev.imagery.api.upload;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.reactivestreams.tck.TestEnvironment;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * The Reactive Streams TCK (TestNG, run on the JUnit Platform by the TestNG engine) against {@link UploadPublisher}
 * over a real Vert.x stream: a file read by Vert.x's {@link AsyncFile}, in reads of one batch each, so that the
 * publisher hands over exactly one element per read. It checks the rules for signals, demand (bounded,
 * cumulative up to Long.MAX_VALUE, non-positive requests as errors), cancellation and letting go of the
 * subscriber. The publisher is one-shot by design, so the optional multi-subscriber rules are skipped (a second
 * subscriber gets onSubscribe then onError, rule 1.9's way of refusing it).
 */
public class UploadPublisherTckTest extends PublisherVerification<ByteBuffer> {

  private static final int BATCH = 16;
  private static final long MAX_ELEMENTS = 1024;

  private Vertx vertx;
  private Path file;
  private final List<AsyncFile> opened = new CopyOnWriteArrayList<>();

  public UploadPublisherTckTest() {
    // Generous timeouts: the machine that runs the build is shared and slow.
    super(new TestEnvironment(2_000, 200), 2_000);
  }

  @BeforeClass
  public void start() throws Exception {
    vertx = Vertx.vertx();
    file = Files.createTempFile("upload-publisher-tck", ".bin");
    byte[] bytes = new byte[(int) (MAX_ELEMENTS * BATCH)];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    Files.write(file, bytes);
  }

  @AfterClass
  public void stop() throws Exception {
    for (AsyncFile f : opened) {
      f.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    Files.deleteIfExists(file);
  }

  @Override
  public Publisher<ByteBuffer> createPublisher(long elements) {
    Context context = vertx.getOrCreateContext();
    AsyncFile source = open(context, elements * BATCH);
    return new UploadPublisher(context, Buffer.buffer(), source, false, Long.MAX_VALUE, BATCH);
  }

  /** Fails at once: its head, read before it was made, is already over the limit (a real refusal, a 413). */
  @Override
  public Publisher<ByteBuffer> createFailedPublisher() {
    Context context = vertx.getOrCreateContext();
    return new UploadPublisher(context, Buffer.buffer("too long"), open(context, 0), false, 4, BATCH);
  }

  @Override
  public long maxElementsFromPublisher() {
    return MAX_ELEMENTS;
  }

  private AsyncFile open(Context context, long length) {
    Promise<AsyncFile> promise = Promise.promise();
    // Opened on the publisher's context, so that the file's handlers run on it, as a request's do.
    context.runOnContext(v -> vertx.fileSystem().open(file.toString(), new OpenOptions().setRead(true))
        .map(f -> {
          f.pause();
          return f.setReadBufferSize(BATCH).setReadLength(length);
        })
        .onComplete(promise));
    try {
      AsyncFile source = promise.future().await(10, TimeUnit.SECONDS);
      opened.add(source);
      return source;
    } catch (Exception e) {
      throw new IllegalStateException("could not open " + file, e);
    }
  }
}
