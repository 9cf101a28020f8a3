package dev.imagery.api;

import dev.imagery.api.admin.AdminServer;
import dev.imagery.api.admin.DeadLetters;
import dev.imagery.api.contract.ApiContract;
import dev.imagery.api.health.HealthRoutes;
import dev.imagery.api.http.SecurityHeaders;
import dev.imagery.api.image.ImageRoutes;
import dev.imagery.api.upload.UploadBudget;
import dev.imagery.api.upload.UploadFlow;
import dev.imagery.api.upload.UploadMetrics;
import dev.imagery.api.wait.StateWait;
import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.ImageStore;
import dev.imagery.shared.metrics.ServiceMetrics;
import dev.imagery.shared.queue.JobQueue;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API's process: its servers (the public port, and the management port with /metrics and the admin routes),
 * the routes (PublicRouter, from the OpenAPI document, with ImageRoutes and HealthRoutes), and draining.
 */
public final class ApiVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ApiVerticle.class);

  /** Left of the shutdown timeout for closing the clients after the server drained. */
  private static final long SHUTDOWN_MARGIN_MS = 2_000;

  private final ImageryConfig config;
  private final AwsClients aws;
  private final ServiceMetrics metrics;
  private final SecurityHeaders headers;
  private ImageStore store;
  private JobQueue queue;
  private UploadFlow uploads;
  private StateWait waits;
  private ApiContract contract;
  private AdminServer admin;
  private HttpServer server;
  private volatile boolean draining;

  /** An API with metrics of its own, for a Vert.x and clients that report nowhere. */
  public ApiVerticle(ImageryConfig config, AwsClients aws) {
    this(config, aws, ServiceMetrics.create());
  }

  /** An API whose metrics go to {@code metrics}, served at {@code /metrics} on its management port. */
  public ApiVerticle(ImageryConfig config, AwsClients aws, ServiceMetrics metrics) {
    this.config = config;
    this.aws = aws;
    this.metrics = metrics;
    // Read here, on the thread that makes the verticle, not on its event loop.
    this.headers = SecurityHeaders.forPage(PublicRouter.WEBROOT + "/index.html");
  }

  @Override
  public Future<?> start() {
    store = new ImageStore(vertx, aws.dynamoDb(), config.resources().table(), Clock.systemUTC(),
        config.resources().retention());
    waits = new StateWait(vertx, store);
    long loading = System.nanoTime();
    return ApiContract.load(vertx)
        .compose(loaded -> {
          contract = loaded;
          LOG.info("API contract {} loaded and checked in {} ms: {} operations", ApiContract.RESOURCE,
              (System.nanoTime() - loading) / 1_000_000, loaded.routing().operations().size());
          return JobQueue.resolve(vertx, aws.sqs(), config.resources().queue());
        })
        .compose(resolved -> {
          queue = resolved;
          return startManagement();
        })
        .compose(admin -> {
          UploadBudget budget = new UploadBudget(vertx, config.api().uploadMemoryBudgetBytes(),
              config.api().uploadBudgetWait());
          LOG.info("uploads may hold {} MiB of buffers at once, waiting up to {} ms for room",
              budget.capacity() / (1024 * 1024), config.api().uploadBudgetWait().toMillis());
          uploads = new UploadFlow(vertx, store, queue, aws.s3Uploads(), aws.s3(), config.resources().bucket(),
              config.api().maxUploadBytes(), budget, Clock.systemUTC(), new UploadMetrics(metrics.registry(), budget));
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

  /** The management port: /metrics always, the admin routes only when an admin token is set. */
  private Future<?> startManagement() {
    if (config.api().adminToken().isEmpty()) {
      LOG.info("admin routes off: neither IMAGERY_ADMIN_TOKEN nor a file at IMAGERY_ADMIN_TOKEN_FILE");
    }
    Future<Optional<AdminServer.Admin>> routes = config.api().adminToken().isEmpty()
        ? Future.succeededFuture(Optional.empty())
        : JobQueue.resolve(vertx, aws.sqs(), config.resources().deadLetterQueue())
            .map(dlq -> Optional.of(new AdminServer.Admin(config.api().adminToken().get(),
                new DeadLetters(dlq, queue))));
    return routes.compose(adminRoutes -> {
      admin = new AdminServer(vertx, config.management().host(), config.management().port(),
          metrics.scrapeHandler(), adminRoutes);
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

  /** The admin routes' port (the management port), when they are on (an admin token is set). */
  public Optional<Integer> adminPort() {
    return config.api().adminToken().map(token -> admin.actualPort());
  }

  /** The management port's bound port (/metrics, and the admin routes with a token). */
  public int managementPort() {
    return admin.actualPort();
  }

  /** The bound port; differs from the configured one when that was 0. */
  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    return PublicRouter.build(vertx, contract, headers,
        new ImageRoutes(vertx, store, waits, uploads, aws.s3(), config.resources().bucket(),
            config.api().maxUploadBytes()),
        new HealthRoutes(vertx, store, queue, aws.s3(), config.resources().bucket(), () -> draining))
        .router();
  }
}
