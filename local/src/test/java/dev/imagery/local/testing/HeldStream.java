package dev.imagery.local.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A request body that stops before {@code rest} until the test releases {@code go}: an upload held open on purpose
 * (a slot of the upload budget, or of a caller's uploads, taken for as long as the test needs it).
 */
public final class HeldStream extends InputStream {

  private final CountDownLatch go;
  private final InputStream rest;

  public HeldStream(CountDownLatch go, InputStream rest) {
    this.go = go;
    this.rest = rest;
  }

  @Override
  public int read() throws IOException {
    await();
    return rest.read();
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    await();
    return rest.read(b, off, len);
  }

  private void await() throws IOException {
    try {
      if (!go.await(60, TimeUnit.SECONDS)) {
        throw new IOException("the test never let the upload finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException();
    }
  }
}
