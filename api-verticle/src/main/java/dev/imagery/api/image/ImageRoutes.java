package dev.imagery.api.image;

import dev.imagery.api.contract.ApiContract;
import dev.imagery.api.http.ApiException;
import dev.imagery.api.http.ContentDisposition;
import dev.imagery.api.http.RecordJson;
import dev.imagery.api.http.ResponseWriter;
import dev.imagery.api.upload.UploadFlow;
import dev.imagery.api.wait.StateWait;
import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.image.ImageIds;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ImageStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/** The image process routes: create, read (and long-poll), upload, delete, and the original, result and thumbnail. */
public final class ImageRoutes {

  /** Multipart framing around the file: boundaries and part headers. */
  private static final long MULTIPART_OVERHEAD_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final ImageStore store;
  private final StateWait waits;
  private final UploadFlow uploads;
  private final S3AsyncClient s3;
  private final String bucket;
  private final long maxUploadBytes;
  private final ImageDeletion deletion;

  public ImageRoutes(Vertx vertx, ImageStore store, StateWait waits, UploadFlow uploads, S3AsyncClient s3,
      String bucket, long maxUploadBytes) {
    this.vertx = vertx;
    this.store = store;
    this.waits = waits;
    this.uploads = uploads;
    this.s3 = s3;
    this.bucket = bucket;
    this.maxUploadBytes = maxUploadBytes;
    this.deletion = new ImageDeletion(vertx, store, s3, bucket);
  }

  /**
   * Binds each handler to its operation of the OpenAPI document ({@code openapi.yaml}), which gives the method and
   * path and validates the parameters before the handler runs.
   */
  public void bind(RouterBuilder builder) {
    ApiContract.route(builder, "createImage").addHandler(this::createImage);
    ApiContract.route(builder, "putImage").addHandler(this::putImage);
    ApiContract.route(builder, "getImage").addHandler(this::getImage);
    ApiContract.route(builder, "deleteImage").addHandler(this::deleteImage);
    ApiContract.route(builder, "uploadImage").addHandler(this::uploadImage);
    ApiContract.route(builder, "getOriginal").addHandler(this::getOriginal);
    ApiContract.route(builder, "getResult").addHandler(this::getResult);
    ApiContract.route(builder, "getThumbnail").addHandler(this::getThumbnail);
  }

  private void createImage(RoutingContext ctx) {
    store.create(ImageIds.newId())
        .onSuccess(created -> respond(ctx, 201, created.record()))
        .onFailure(ctx::fail);
  }

  /** Idempotent create with a client-chosen id: 201 the first time, 200 with the same record afterwards. */
  private void putImage(RoutingContext ctx) {
    store.create(pathId(ctx))
        .onSuccess(created -> respond(ctx, created.written() ? 201 : 200, created.record()))
        .onFailure(ctx::fail);
  }

  /** The record; with {@code ?waitFor=STATE[&timeout=S]}, a long poll until it reaches that state (see StateWait). */
  private void getImage(RoutingContext ctx) {
    String id = pathId(ctx);
    String waitFor = ctx.request().getParam("waitFor");
    Future<ImageRecord> record = waitFor == null
        ? store.get(id)
        : waits.await(id, StateWait.Request.parse(waitFor, ctx.request().getParam("timeout")),
            () -> ctx.response().closed());
    record.onSuccess(found -> {
      if (!ctx.response().closed()) {
        respond(ctx, 200, found);
      }
    }).onFailure(ctx::fail);
  }

  private void uploadImage(RoutingContext ctx) {
    String id = pathId(ctx);
    String contentType = Optional.ofNullable(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE)).orElse("");
    if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
      throw new ApiException(400, "NOT_MULTIPART",
          "expected a multipart/form-data body with the image in a field named '" + UploadFlow.FILE_FIELD + "'");
    }
    String declared = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null && parseLong(declared) > maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
      throw new ApiException(413, "PAYLOAD_TOO_LARGE",
          "the upload is larger than the limit of " + maxUploadBytes + " bytes");
    }
    // Nothing may be read until we know the image exists and S3 is ready to take the bytes (PublicRouter paused the
    // request before validation already; this keeps the handler right on its own).
    ctx.request().pause();
    uploads.accept(id, ctx.request())
        .onSuccess(record -> respond(ctx, 202, record))
        .onFailure(ctx::fail);
  }

  /**
   * Deletes the record and every object of the image: 204. A delete cut short (the image shows as
   * {@code deleting}) is finished by the next one. An unknown id is 404, as on every route, so that this route
   * tells no more about an id than the others do; a repeated delete is therefore 204, then 404.
   */
  private void deleteImage(RoutingContext ctx) {
    deletion.delete(pathId(ctx))
        .onSuccess(deleted -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /** The upload as it was sent: always a download (attachment), never shown in the browser's window. */
  private void getOriginal(RoutingContext ctx) {
    streamObject(ctx, record -> record.upload().map(ImageRecord.Upload::rawKey), "attachment", "original");
  }

  private void getResult(RoutingContext ctx) {
    streamObject(ctx, record -> record.result().map(ImageRecord.Result::resultKey), "inline", "sepia");
  }

  private void getThumbnail(RoutingContext ctx) {
    streamObject(ctx, record -> record.result().map(ImageRecord.Result::thumbnailKey), "inline", "thumbnail");
  }

  private void streamObject(RoutingContext ctx, Function<ImageRecord, Optional<String>> keyOf, String disposition,
                            String name) {
    String id = pathId(ctx);
    store.get(id)
        .compose(record -> keyOf.apply(record)
            .filter(key -> record.state() != ImageState.DELETING)
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(new ApiException(404, "NOT_FOUND",
                "image " + id + " has no such object in state " + record.state().wireName()))))
        .compose(key -> SdkFutures.call(vertx, () -> s3.getObject(
            GetObjectRequest.builder().bucket(bucket).key(key).build(),
            AsyncResponseTransformer.toPublisher())))
        .compose(object -> {
          ctx.response()
              .putHeader(HttpHeaders.CONTENT_TYPE, object.response().contentType())
              .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(object.response().contentLength()))
              // The URL names the image, not the upload: a re-upload changes what it serves.
              .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
              .putHeader(HttpHeaders.ETAG, object.response().eTag())
              .putHeader(HttpHeaders.CONTENT_DISPOSITION,
                  ContentDisposition.of(disposition, id, name, object.response().contentType()));
          return ResponseWriter.write(vertx.getOrCreateContext(), ctx.response(), object);
        })
        .onFailure(ctx::fail);
  }

  private static String pathId(RoutingContext ctx) {
    String raw = ctx.pathParam("id");
    return ImageIds.parse(raw).orElseThrow(() -> new ApiException(400, "INVALID_ID",
        "image ids are UUIDs such as 3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48, got '" + raw + "'"));
  }

  private static long parseLong(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new ApiException(400, "BAD_CONTENT_LENGTH", "Content-Length is not a number");
    }
  }

  private static void respond(RoutingContext ctx, int status, ImageRecord record) {
    if (status == 201) {
      ctx.response().putHeader(HttpHeaders.LOCATION, "/image/" + record.id());
    }
    ctx.response().setStatusCode(status);
    ctx.json(RecordJson.toJson(record));
  }
}
