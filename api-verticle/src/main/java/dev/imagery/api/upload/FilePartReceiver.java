package dev.imagery.api.upload;

import dev.imagery.api.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerRequest;

/**
 * Turns the callbacks of a streamed multipart request into a future of its first file part with the given field
 * name, its head read. Nothing is buffered beyond that head: the part stays paused, and with it the socket,
 * until someone pulls the rest. Other parts are discarded as they pass.
 */
public final class FilePartReceiver {

  private FilePartReceiver() {
  }

  /** Call with the request paused; this resumes it. */
  public static Future<SniffedFile> receive(HttpServerRequest request, String field) {
    Promise<SniffedFile> received = Promise.promise();
    boolean[] taken = {false};
    request.setExpectMultipart(true);
    request.exceptionHandler(received::tryFail);
    request.uploadHandler(upload -> {
      if (taken[0] || !field.equals(upload.name())) {
        // Data of an unread part is dropped by Vert.x as it flows.
        return;
      }
      taken[0] = true;
      upload.pause();
      SniffedFile.read(upload).onComplete(received);
    });
    request.endHandler(v -> {
      if (!taken[0]) {
        received.tryFail(new ApiException(400, "MISSING_FILE",
            "expected a multipart/form-data body with the image in a file field named '" + field + "'"));
      }
    });
    request.resume();
    return received.future();
  }
}
