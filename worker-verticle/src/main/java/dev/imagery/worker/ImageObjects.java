package dev.imagery.worker;

import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ObjectKeys;
import dev.imagery.worker.image.ImageRejectedException;
import dev.imagery.worker.image.ProcessedImage;
import dev.imagery.worker.image.RejectReason;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * The worker's S3 side of a job: the upload it reads, the result and thumbnail it writes under keys fixed by the
 * image and upload ids (so a redelivered job overwrites, never duplicates), and their removal when a newer upload
 * won.
 */
final class ImageObjects {

  private final Vertx vertx;
  private final S3AsyncClient s3;
  private final String bucket;
  private final Clock clock;
  private final WorkerMetrics metrics;

  ImageObjects(Vertx vertx, S3AsyncClient s3, String bucket, Clock clock, WorkerMetrics metrics) {
    this.vertx = vertx;
    this.s3 = s3;
    this.bucket = bucket;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** An upload being read into memory; {@link #cancel()} ends the request (the job's deadline passed). */
  record Download(Future<byte[]> bytes, Runnable canceller) {
    void cancel() {
      canceller.run();
    }
  }

  /**
   * Reads the upload into memory, on the SDK's threads, so that a thread of the image pool never waits on S3; a
   * missing object is the image's fault (it can never be processed), anything else is transient.
   */
  Download download(ImageRecord.Upload upload) {
    CompletableFuture<ResponseBytes<GetObjectResponse>> call;
    try {
      call = s3.getObject(GetObjectRequest.builder().bucket(bucket).key(upload.rawKey()).build(),
          AsyncResponseTransformer.toBytes());
    } catch (RuntimeException e) {
      return new Download(Future.failedFuture(e), () -> { });
    }
    // Timed to the last byte: the whole download, not only its headers.
    Future<byte[]> bytes = metrics.timed(WorkerMetrics.Stage.DOWNLOAD, () -> SdkFutures.call(vertx, () -> call))
        // The SDK's own array, not a copy: nothing else holds it.
        .map(ResponseBytes::asByteArrayUnsafe)
        .recover(err -> err instanceof NoSuchKeyException
            ? Future.failedFuture(new ImageRejectedException(
                RejectReason.CORRUPT, "the uploaded file is missing from storage"))
            : Future.failedFuture(err));
    // Cancelling the SDK's future aborts its request.
    return new Download(bytes, () -> call.cancel(false));
  }

  /** Stores the result and its thumbnail side by side: the record's result once both are there. */
  Future<ImageRecord.Result> store(ImageRecord record, ImageRecord.Upload upload, ProcessedImage image) {
    String resultKey = ObjectKeys.result(record.id(), upload.uploadId(), image.resultFormat().extension());
    String thumbnailKey = ObjectKeys.thumbnail(record.id(), upload.uploadId());
    return metrics.timed(WorkerMetrics.Stage.UPLOAD, () -> Future.all(
            put(resultKey, image.resultFormat().contentType(), image.result(), record),
            put(thumbnailKey, "image/jpeg", image.thumbnail(), record)))
        .map(both -> new ImageRecord.Result(resultKey, image.resultFormat().contentType(), thumbnailKey,
            image.width(), image.height(), clock.instant()));
  }

  /** Removes a result nobody will reference (its upload was superseded, or its image deleted). */
  Future<Void> discard(ImageRecord.Result result) {
    return Future.join(delete(result.resultKey()), delete(result.thumbnailKey())).mapEmpty();
  }

  /**
   * Removes whatever a job for {@code uploadId} may have stored (its result keys are fixed), for an image that is
   * deleted or being deleted: a worker that died between storing and committing leaves them to the next delivery.
   * Deleting a key that is not there is no error.
   */
  Future<Void> discardJob(String imageId, String uploadId) {
    return Future.all(ObjectKeys.resultsOf(imageId, uploadId).stream().map(this::delete).toList()).mapEmpty();
  }

  private Future<?> put(String key, String contentType, byte[] bytes, ImageRecord record) {
    return SdkFutures.call(vertx, () -> s3.putObject(PutObjectRequest.builder()
            .bucket(bucket)
            .key(key)
            .contentType(contentType)
            .contentLength((long) bytes.length)
            .metadata(Map.of("image-id", record.id(), "upload-id", record.uploadId().orElseThrow()))
            .build(),
        // Not copied: the pipeline made these arrays and nothing writes to them any more.
        AsyncRequestBody.fromBytesUnsafe(bytes)));
  }

  private Future<Void> delete(String key) {
    return SdkFutures.call(vertx, () -> s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build()))
        .mapEmpty();
  }
}
