package dev.imagery.api.health;

import dev.imagery.api.contract.ApiContract;
import dev.imagery.shared.aws.SdkFutures;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;

/** Liveness and readiness, which load balancers and kubelets call without credentials. */
public final class HealthRoutes {

  private static final long READINESS_TIMEOUT_MS = 2_000;

  private final Vertx vertx;
  private final ImageStore store;
  private final JobQueue queue;
  private final S3AsyncClient s3;
  private final String bucket;
  private final BooleanSupplier draining;

  public HealthRoutes(Vertx vertx, ImageStore store, JobQueue queue, S3AsyncClient s3, String bucket,
      BooleanSupplier draining) {
    this.vertx = vertx;
    this.store = store;
    this.queue = queue;
    this.s3 = s3;
    this.bucket = bucket;
    this.draining = draining;
  }

  /** Binds the handlers to their operations of the OpenAPI document. */
  public void bind(RouterBuilder builder) {
    ApiContract.route(builder, "getLiveness").addHandler(this::live);
    ApiContract.route(builder, "getReadiness").addHandler(this::ready);
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
    if (draining.getAsBoolean()) {
      ctx.response().setStatusCode(503);
      ctx.json(new JsonObject().put("status", "DRAINING"));
      return;
    }
    Future<Void> dynamoDb = store.ping().timeout(READINESS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Future<Void> sqs = queue.ping().timeout(READINESS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Future<Void> s3Check = SdkFutures.call(vertx, () -> s3.headBucket(
            HeadBucketRequest.builder().bucket(bucket).build()))
        .<Void>mapEmpty()
        .timeout(READINESS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Future.join(dynamoDb, sqs, s3Check).onComplete(all -> {
      JsonObject checks = new JsonObject()
          .put("dynamodb", status(dynamoDb))
          .put("sqs", status(sqs))
          .put("s3", status(s3Check));
      boolean ready = dynamoDb.succeeded();
      ctx.response().setStatusCode(ready ? 200 : 503);
      ctx.json(new JsonObject()
          .put("status", !ready ? "DOWN" : all.succeeded() ? "UP" : "DEGRADED")
          .put("checks", checks));
    });
  }

  private static String status(Future<?> check) {
    return check.succeeded() ? "UP" : "DOWN: " + SdkFutures.unwrap(check.cause()).getClass().getSimpleName();
  }
}
