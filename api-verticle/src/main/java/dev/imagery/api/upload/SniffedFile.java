package dev.imagery.api.upload;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerFileUpload;

/**
 * A file part whose first bytes were read to tell its format. The upload is paused after {@code head};
 * {@code ended} when the whole file fit in the head.
 */
public record SniffedFile(HttpServerFileUpload upload, Buffer head, boolean ended) {
}
