package dev.imagery.api.image;

import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.image.ObjectKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code DELETE /image/{id}}, in three steps that are each idempotent, so that a retry after a crash at any point
 * finishes the job:
 * <ol>
 *   <li>the record becomes {@code deleting} (a conditional write, like every transition): from then on no upload,
 *       result or failure is recorded for the image, so no new object gets referenced while the old ones go;</li>
 *   <li>every object under the image's prefixes ({@link ObjectKeys#prefixes}) is listed and deleted: the current
 *       upload, superseded ones, results and thumbnails, and whatever a crash left behind;</li>
 *   <li>the record is removed (a {@code DeleteItem} conditional on {@code deleting}).</li>
 * </ol>
 * A worker that stores a result meanwhile has its commit refused (the record is {@code deleting} or gone) and deletes
 * what it stored; an upload that completes meanwhile likewise deletes its object. A worker that dies between storing
 * and committing leaves its result for the next delivery of its job, which finds no image and deletes the job's keys.
 */
public final class ImageDeletion {

  private static final Logger LOG = LoggerFactory.getLogger(ImageDeletion.class);

  private final Vertx vertx;
  private final ImageStore store;
  private final S3AsyncClient s3;
  private final String bucket;

  public ImageDeletion(Vertx vertx, ImageStore store, S3AsyncClient s3, String bucket) {
    this.vertx = vertx;
    this.store = store;
    this.s3 = s3;
    this.bucket = bucket;
  }

  /**
   * Deletes the image (record and objects); an image that is {@code deleting} already (a delete cut short) is
   * finished. Fails with {@code ImageNotFoundException} when there is no such image.
   */
  public Future<Void> delete(String id) {
    long started = System.nanoTime();
    return store.markDeleting(id)
        .compose(deleting -> deleteObjects(deleting))
        .compose(objects -> store.remove(id).map(objects))
        .onSuccess(objects -> LOG.info("image={} deleted: its record, and objects: {}, in {} ms", id, objects,
            (System.nanoTime() - started) / 1_000_000))
        .mapEmpty();
  }

  /** Every object under the image's prefixes; how many there were. */
  private Future<Integer> deleteObjects(ImageRecord deleting) {
    List<Future<Integer>> prefixes = ObjectKeys.prefixes(deleting.id()).stream()
        .map(prefix -> deletePages(deleting.id(), prefix, null, 0))
        .toList();
    return Future.all(prefixes).map(all -> prefixes.stream().mapToInt(Future::result).sum());
  }

  /** One page of keys (up to 1000) at a time, each page deleted before the next is listed. */
  private Future<Integer> deletePages(String id, String prefix, String continuation, int deleted) {
    return SdkFutures.call(vertx, () -> s3.listObjectsV2(ListObjectsV2Request.builder()
            .bucket(bucket)
            .prefix(prefix)
            .continuationToken(continuation)
            .build()))
        .compose(page -> {
          List<String> keys = page.contents().stream().map(S3Object::key).toList();
          Future<Integer> thisPage = Future.all(keys.stream().map(key -> deleteObject(id, key)).toList())
              .map(done -> deleted + keys.size());
          return Boolean.TRUE.equals(page.isTruncated()) && page.nextContinuationToken() != null
              ? thisPage.compose(sofar -> deletePages(id, prefix, page.nextContinuationToken(), sofar))
              : thisPage;
        });
  }

  /** One object; a key already gone is no error (S3 answers 204 either way). */
  private Future<Void> deleteObject(String id, String key) {
    return SdkFutures.call(vertx, () -> s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build()))
        .onFailure(err -> LOG.warn("image={} could not delete {}, the delete will fail and can be retried: {}", id,
            key, err.toString()))
        .mapEmpty();
  }
}
