package dev.imagery.api.upload;

import dev.imagery.shared.image.ImageFormat;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A file whose first bytes were read to tell its format: a multipart file part, or a request body that is the image
 * itself. The stream is paused after {@code head}; {@code ended} when the whole file fit in the head.
 */
public record SniffedFile(ReadStream<Buffer> body, Buffer head, boolean ended) {

  /**
   * Reads the first {@link ImageFormat#MIN_SNIFF_BYTES} (or more: whole chunks) of {@code body}, which must be
   * paused, and pauses it again. Nothing beyond that head is read until someone pulls the rest.
   */
  public static Future<SniffedFile> read(ReadStream<Buffer> body) {
    Promise<SniffedFile> read = Promise.promise();
    Buffer head = Buffer.buffer(ImageFormat.MIN_SNIFF_BYTES);
    body.exceptionHandler(read::tryFail);
    body.endHandler(v -> read.tryComplete(new SniffedFile(body, head, true)));
    body.handler(chunk -> {
      head.appendBuffer(chunk);
      if (head.length() >= ImageFormat.MIN_SNIFF_BYTES) {
        body.pause();
        read.tryComplete(new SniffedFile(body, head, false));
      } else {
        body.fetch(1);
      }
    });
    body.fetch(1);
    return read.future();
  }
}
