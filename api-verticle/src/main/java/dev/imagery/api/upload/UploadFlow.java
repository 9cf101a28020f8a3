package dev.imagery.api.upload;

import dev.imagery.api.http.ApiException;
import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.image.ImageFormat;
import dev.imagery.shared.image.ImageNotFoundException;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.ObjectKeys;
import dev.imagery.shared.image.TransitionConflictException;
import dev.imagery.shared.logging.LogContext;
import dev.imagery.shared.logging.TraceParent;
import dev.imagery.shared.queue.JobMessage;
import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.BufferedSplittableAsyncRequestBody;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * One upload: the file part streams from the socket into S3 under a key of its own, then the record moves to
 * {@code uploaded} with a conditional write, then the job is queued. The order keeps every failure harmless:
 * a raw object that no record points to is deleted, and a record in {@code uploaded} whose job was never sent
 * is healed by the client's retry (same bytes: same outcome, job sent again).
 */
public final class UploadFlow {

  private static final Logger LOG = LoggerFactory.getLogger(UploadFlow.class);

  public static final String FILE_FIELD = "file";
  /** The multipart decoder's and the socket's buffers (a raw body has no decoder: the safe side for both). */
  private static final long DECODER_SLACK_BYTES = 256 * 1024;

  private final Vertx vertx;
  private final ImageStore store;
  private final JobQueue queue;
  private final S3AsyncClient s3Uploads;
  private final S3AsyncClient s3;
  private final String bucket;
  private final long maxBytes;
  private final Clock clock;
  private final UploadBudget budget;
  private final UploadMetrics metrics;

  public UploadFlow(Vertx vertx, ImageStore store, JobQueue queue, S3AsyncClient s3Uploads, S3AsyncClient s3,
                    String bucket, long maxBytes, UploadBudget budget, Clock clock, UploadMetrics metrics) {
    this.budget = budget;
    this.metrics = metrics;
    this.vertx = vertx;
    this.store = store;
    this.queue = queue;
    this.s3Uploads = s3Uploads;
    this.s3 = s3;
    this.bucket = bucket;
    this.maxBytes = maxBytes;
    this.clock = clock;
  }

  /**
   * Accepts the multipart upload of {@code request} (the image in the field {@link #FILE_FIELD}), which must be
   * paused, for an image the caller was found to own (ImageAccess); the record afterwards.
   */
  public Future<ImageRecord> accept(String id, HttpServerRequest request) {
    return accept(id, request, () -> FilePartReceiver.receive(request, FILE_FIELD), Optional.empty());
  }

  /**
   * Accepts {@code request}'s body as the image itself, declared by its Content-Type as {@code declared}; the request
   * must be paused. Same steps and outcomes as a multipart upload, without the multipart decoder; bytes that are
   * not what the Content-Type said are refused (415), as bytes that are no image are.
   */
  public Future<ImageRecord> acceptRaw(String id, HttpServerRequest request, ImageFormat declared) {
    return accept(id, request, () -> SniffedFile.read(request), Optional.of(declared));
  }

  private Future<ImageRecord> accept(String id, HttpServerRequest request, Supplier<Future<SniffedFile>> body,
                                     Optional<ImageFormat> declared) {
    // The record was read by the route (ImageAccess: it exists and is the caller's), so none is read again here.
    return budget.reserve(bufferShare(request))
        .compose(room -> receive(id, request, body, declared).eventually(() -> {
          room.release(); // the bytes are in S3 (or never will be): the parts buffered for them are gone
          return Future.succeededFuture();
        }))
        .compose(upload -> commit(id, upload));
  }

  private Future<ImageRecord.Upload> receive(String id, HttpServerRequest request, Supplier<Future<SniffedFile>> body,
                                             Optional<ImageFormat> declared) {
    // A client that asked first sends the body only now that we know we can take it.
    if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      request.response().writeContinue();
    }
    return body.get()
        .compose(file -> storeRaw(id, file, declared).onFailure(err -> {
          if (!file.ended()) {
            discardRest(file);
          }
        }));
  }

  /**
   * What one upload may hold in memory: the SDK's part buffer, or the whole body when that is smaller (a declared
   * Content-Length), plus the publisher's batch and the multipart decoder's and the socket's buffers.
   */
  static long bufferShare(HttpServerRequest request) {
    long buffer = AwsClients.UPLOAD_BUFFER_BYTES;
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null) {
      try {
        buffer = Math.min(buffer, Math.max(0, Long.parseLong(declared.trim())));
      } catch (NumberFormatException e) {
        // refused by the route before this; the full share is the safe side
      }
    }
    return buffer + UploadPublisher.BATCH_BYTES + DECODER_SLACK_BYTES;
  }

  /**
   * After a refusal, reads and drops what the client still sends, so that it can finish sending and read our
   * answer; the error handler closes the connection if that takes too long.
   */
  private static void discardRest(SniffedFile file) {
    file.body().exceptionHandler(err -> { });
    file.body().endHandler(v -> { });
    file.body().handler(chunk -> { });
    file.body().resume();
  }

  private Future<ImageRecord.Upload> storeRaw(String id, SniffedFile file, Optional<ImageFormat> declared) {
    if (file.head().length() == 0) {
      return Future.failedFuture(new ApiException(400, "EMPTY_FILE", "the file is empty"));
    }
    ImageFormat format = ImageFormat.sniff(file.head().getBytes()).orElse(null);
    if (format == null || !format.processable()) {
      String what = format == null ? "not a JPEG, PNG, GIF or BMP image" : "a " + format.name() + " image, which is not supported";
      return Future.failedFuture(new ApiException(415, "UNSUPPORTED_MEDIA_TYPE",
          "the file is " + what + " (judged from its first bytes)"));
    }
    if (declared.isPresent() && declared.get() != format) {
      return Future.failedFuture(new ApiException(415, "CONTENT_TYPE_MISMATCH", "the body was declared "
          + declared.get().contentType() + " but is a " + format.name() + " image (judged from its first bytes)"));
    }
    String uploadId = UUID.randomUUID().toString();
    LogContext.put(LogContext.UPLOAD_ID, uploadId);
    String key = ObjectKeys.raw(id, uploadId);
    UploadPublisher body = new UploadPublisher(vertx.getOrCreateContext(), file.head(), file.body(), file.ended(),
        maxBytes);
    long started = System.nanoTime();
    return SdkFutures.call(vertx, () -> s3Uploads.putObject(PutObjectRequest.builder()
                .bucket(bucket)
                .key(key)
                .contentType(format.contentType())
                .metadata(Map.of("image-id", id, "upload-id", uploadId))
                .build(),
            // The socket is read once; each part is buffered whole before it is sent, so a part whose connection
            // drops can be sent again from the buffer (same memory bound as the SDK's splitter already has).
            BufferedSplittableAsyncRequestBody.builder()
                .asyncRequestBody(AsyncRequestBody.fromPublisher(body))
                .bufferBeforeSend(true)
                .build()))
        .recover(err -> Future.failedFuture(body.failure().orElse(err)))
        .onFailure(err -> metrics.failed(System.nanoTime() - started))
        .map(put -> {
          metrics.stored(body.size(), System.nanoTime() - started);
          LOG.info("image={} upload={} stored {} bytes of {} as {} in {} ms", id, uploadId, body.size(),
              format.contentType(), key, (System.nanoTime() - started) / 1_000_000);
          return new ImageRecord.Upload(uploadId, key, format.contentType(), body.size(), body.sha256Hex(),
              clock.instant(), LogContext.trace().map(TraceParent::header)); // the reconciler's requeue carries it on
        });
  }

  private Future<ImageRecord> commit(String id, ImageRecord.Upload upload) {
    return store.markUploaded(id, upload)
        // Only a refusal is certain to have left the record alone; after a timeout the write may have applied.
        // Refused: final, deleting, or deleted while the bytes streamed in.
        .recover(err -> err instanceof TransitionConflictException || err instanceof ImageNotFoundException
            ? deleteQuietly(id, upload.rawKey()).transform(deleted -> Future.failedFuture(err))
            : Future.failedFuture(err))
        .compose(committed -> {
          ImageRecord record = committed.record();
          String kept = record.upload().map(ImageRecord.Upload::rawKey).orElse("");
          Future<Void> cleanup = Future.succeededFuture();
          if (!kept.equals(upload.rawKey())) {
            // The same bytes were already there: ours is a duplicate.
            cleanup = deleteQuietly(id, upload.rawKey());
          } else if (committed.written()) {
            String replaced = committed.before().upload().map(ImageRecord.Upload::rawKey).orElse(kept);
            if (!replaced.equals(kept)) {
              cleanup = deleteQuietly(id, replaced);
            }
          }
          return cleanup.compose(v -> enqueue(record)).map(record);
        });
  }

  private Future<Void> enqueue(ImageRecord record) {
    if (record.state() != ImageState.UPLOADED) {
      return Future.succeededFuture();
    }
    String uploadId = record.uploadId().orElseThrow();
    return queue.send(new JobMessage(record.id(), uploadId))
        .onSuccess(messageId -> {
          LogContext.put(LogContext.MESSAGE_ID, messageId);
          LOG.info("image={} upload={} message={} queued", record.id(), uploadId, messageId);
        })
        .mapEmpty();
  }

  /** Best effort: an object left behind costs storage, not correctness. */
  private Future<Void> deleteQuietly(String id, String key) {
    return SdkFutures.call(vertx, () -> s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build()))
        .<Void>mapEmpty()
        .recover(err -> {
          LOG.warn("image={} could not delete {}: {}", id, key, err.toString());
          return Future.succeededFuture();
        });
  }
}
