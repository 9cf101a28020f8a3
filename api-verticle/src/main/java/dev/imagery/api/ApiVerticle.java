package dev.imagery.api;

import dev.imagery.api.admin.AdminServer;
import dev.imagery.api.admin.DeadLetters;
import dev.imagery.api.http.ApiException;
import dev.imagery.api.http.ErrorResponses;
import dev.imagery.api.http.RecordJson;
import dev.imagery.api.http.ResponseWriter;
import dev.imagery.api.upload.UploadBudget;
import dev.imagery.api.upload.UploadFlow;
import dev.imagery.api.wait.StateWait;
import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.ImageIds;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;

/** The HTTP API: image processes, streamed uploads, results, health, and the web page. */
public final class ApiVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ApiVerticle.class);

  /** Multipart framing around the file: boundaries and part headers. */
  private static final long MULTIPART_OVERHEAD_BYTES = 64 * 1024;
  private static final long READINESS_TIMEOUT_MS = 2_000;
  /** Left of the shutdown timeout for closing the clients after the server drained. */
  private static final long SHUTDOWN_MARGIN_MS = 2_000;

  private final ImageryConfig config;
  private final AwsClients aws;
  private ImageStore store;
  private JobQueue queue;
  private UploadFlow uploads;
  private StateWait waits;
  private AdminServer admin;
  private HttpServer server;
  private volatile boolean draining;

  public ApiVerticle(ImageryConfig config, AwsClients aws) {
    this.config = config;
    this.aws = aws;
  }

  @Override
  public Future<?> start() {
    store = new ImageStore(vertx, aws.dynamoDb(), config.resources().table(), Clock.systemUTC());
    waits = new StateWait(vertx, store);
    return JobQueue.resolve(vertx, aws.sqs(), config.resources().queue())
        .compose(resolved -> {
          queue = resolved;
          return startAdmin();
        })
        .compose(admin -> {
          UploadBudget budget = new UploadBudget(vertx, config.api().uploadMemoryBudgetBytes(),
              config.api().uploadBudgetWait());
          LOG.info("uploads may hold {} MiB of buffers at once, waiting up to {} ms for room",
              budget.capacity() / (1024 * 1024), config.api().uploadBudgetWait().toMillis());
          uploads = new UploadFlow(vertx, store, queue, aws.s3Uploads(), aws.s3(), config.resources().bucket(),
              config.api().maxUploadBytes(), budget, Clock.systemUTC());
          return vertx.createHttpServer(new HttpServerOptions()
                  .setHost(config.api().host())
                  .setPort(config.api().port())
                  .setIdleTimeout(120)
                  .setIdleTimeoutUnit(TimeUnit.SECONDS))
              .requestHandler(router())
              .listen();
        })
        .onSuccess(listening -> {
          server = listening;
          LOG.info("API listening on http://{}:{}", config.api().host(), listening.actualPort());
        });
  }

  /** The admin routes, on the management port, only when an admin token is set. */
  private Future<?> startAdmin() {
    if (config.api().adminToken().isEmpty()) {
      return Future.succeededFuture();
    }
    return JobQueue.resolve(vertx, aws.sqs(), config.resources().deadLetterQueue())
        .compose(dlq -> {
          admin = new AdminServer(vertx, config.management().host(), config.management().port(),
              config.api().adminToken().get(), new DeadLetters(dlq, queue));
          return admin.start();
        });
  }

  /**
   * Stops accepting connections and lets in-flight requests, uploads included, finish; connections still busy
   * when the grace period ends are closed.
   */
  @Override
  public Future<?> stop() {
    draining = true;
    if (server == null) {
      return Future.succeededFuture();
    }
    long graceMs = Math.max(1_000, config.shutdownTimeout().toMillis() - SHUTDOWN_MARGIN_MS);
    LOG.info("API draining: no new connections, {} ms for in-flight requests", graceMs);
    Future<Void> publicPort = server.shutdown(graceMs, TimeUnit.MILLISECONDS);
    Future<Void> adminPort = admin == null ? Future.succeededFuture() : admin.stop(graceMs);
    return Future.join(publicPort, adminPort);
  }

  /** The admin routes' port (the management port), when they are on. */
  public Optional<Integer> adminPort() {
    return Optional.ofNullable(admin).map(AdminServer::actualPort);
  }

  /** The bound port; differs from the configured one when that was 0. */
  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.post("/image").handler(this::createImage);
    router.put("/image/:id").handler(this::putImage);
    router.get("/image/:id").handler(this::getImage);
    router.post("/image/:id/upload").handler(this::uploadImage);
    router.get("/image/:id/original").handler(this::getOriginal);
    router.get("/image/:id/result").handler(this::getResult);
    router.get("/image/:id/thumbnail").handler(this::getThumbnail);
    router.get("/health/live").handler(this::live);
    router.get("/health/ready").handler(this::ready);
    // Never here, however the path is spelled: they live on the management port (AdminServer).
    router.route("/admin/*").handler(this::notHere);
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router.route().failureHandler(ErrorResponses::handle);
    router.errorHandler(404, ErrorResponses::handle);
    router.errorHandler(405, ErrorResponses::handle);
    return router;
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
    if (declared != null && parseLong(declared) > config.api().maxUploadBytes() + MULTIPART_OVERHEAD_BYTES) {
      throw new ApiException(413, "PAYLOAD_TOO_LARGE",
          "the upload is larger than the limit of " + config.api().maxUploadBytes() + " bytes");
    }
    // Nothing may be read until we know the image exists and S3 is ready to take the bytes.
    ctx.request().pause();
    uploads.accept(id, ctx.request())
        .onSuccess(record -> respond(ctx, 202, record))
        .onFailure(ctx::fail);
  }

  private void getOriginal(RoutingContext ctx) {
    streamObject(ctx, record -> record.upload().map(ImageRecord.Upload::rawKey));
  }

  private void getResult(RoutingContext ctx) {
    streamObject(ctx, record -> record.result().map(ImageRecord.Result::resultKey));
  }

  private void getThumbnail(RoutingContext ctx) {
    streamObject(ctx, record -> record.result().map(ImageRecord.Result::thumbnailKey));
  }

  private void live(RoutingContext ctx) {
    ctx.json(new JsonObject().put("status", "UP"));
  }

  /**
   * Ready when this replica can serve: it is not draining and its state store (DynamoDB, which every route needs)
   * answers. SQS and S3 are checked and reported too, but their outage does not take the replica out of the load
   * balancer: it would go for every replica at once, and the routes that need neither (GET /image/{id}) would then
   * get the balancer's bare 503; the routes that do need them answer our JSON 503 with Retry-After themselves.
   * {@code status} is UP, DEGRADED (ready, with SQS or S3 down) or DOWN.
   */
  private void ready(RoutingContext ctx) {
    if (draining) {
      ctx.response().setStatusCode(503);
      ctx.json(new JsonObject().put("status", "DRAINING"));
      return;
    }
    Future<Void> dynamoDb = store.ping().timeout(READINESS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Future<Void> sqs = queue.ping().timeout(READINESS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Future<Void> s3 = SdkFutures.call(vertx, () -> aws.s3().headBucket(
            HeadBucketRequest.builder().bucket(config.resources().bucket()).build()))
        .<Void>mapEmpty()
        .timeout(READINESS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Future.join(dynamoDb, sqs, s3).onComplete(all -> {
      JsonObject checks = new JsonObject()
          .put("dynamodb", status(dynamoDb))
          .put("sqs", status(sqs))
          .put("s3", status(s3));
      boolean ready = dynamoDb.succeeded();
      ctx.response().setStatusCode(ready ? 200 : 503);
      ctx.json(new JsonObject()
          .put("status", !ready ? "DOWN" : all.succeeded() ? "UP" : "DEGRADED")
          .put("checks", checks));
    });
  }

  private void notHere(RoutingContext ctx) {
    throw new ApiException(404, "NOT_FOUND", "no such resource");
  }

  private void streamObject(RoutingContext ctx, Function<ImageRecord, Optional<String>> keyOf) {
    String id = pathId(ctx);
    store.get(id)
        .compose(record -> keyOf.apply(record)
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(new ApiException(404, "NOT_FOUND",
                "image " + id + " has no such object in state " + record.state().wireName()))))
        .compose(key -> SdkFutures.call(vertx, () -> aws.s3().getObject(
            GetObjectRequest.builder().bucket(config.resources().bucket()).key(key).build(),
            AsyncResponseTransformer.toPublisher())))
        .compose(object -> {
          ctx.response()
              .putHeader(HttpHeaders.CONTENT_TYPE, object.response().contentType())
              .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(object.response().contentLength()))
              // The URL names the image, not the upload: a re-upload changes what it serves.
              .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
              .putHeader(HttpHeaders.ETAG, object.response().eTag());
          return ResponseWriter.write(vertx.getOrCreateContext(), ctx.response(), object);
        })
        .onFailure(ctx::fail);
  }

  private static String status(Future<?> check) {
    return check.succeeded() ? "UP" : "DOWN: " + SdkFutures.unwrap(check.cause()).getClass().getSimpleName();
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
