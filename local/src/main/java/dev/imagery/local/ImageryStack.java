package dev.imagery.local;

import dev.imagery.api.ApiVerticle;
import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.metrics.ServiceMetrics;
import dev.imagery.shared.runtime.ResourceSetup;
import dev.imagery.worker.WorkerVerticle;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API and the worker in one Vert.x instance, pointed at a set of local AWS servers, with the table, queues and
 * bucket created if missing. {@code imagery-local.jar} runs one; the end-to-end tests run the same thing. One JVM,
 * so one metrics registry: both management ports serve the same {@code /metrics}, with both services' series (Vert.x
 * measures per instance). Run separately, as in production, each process has its own.
 */
public final class ImageryStack implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ImageryStack.class);

  private final Vertx vertx;
  private final AwsClients apiAws;
  private final AwsClients workerAws;
  private final ImageryConfig config;
  private final ServiceMetrics metrics;
  private final ApiVerticle api;
  private final WorkerVerticle worker;
  private final AtomicBoolean closed = new AtomicBoolean();
  private AwsClients harnessAws;

  private ImageryStack(Vertx vertx, AwsClients apiAws, AwsClients workerAws, ImageryConfig config,
                       ServiceMetrics metrics, ApiVerticle api, WorkerVerticle worker) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.apiAws = apiAws;
    this.workerAws = workerAws;
    this.config = config;
    this.api = api;
    this.worker = worker;
  }

  /** The variables that point Imagery at {@code servers}; printed for running the services as separate processes. */
  public static Map<String, String> environmentFor(LocalAwsServers servers) {
    Map<String, String> vars = new HashMap<>();
    vars.put("AWS_REGION", LocalAwsServers.REGION);
    vars.put("AWS_ACCESS_KEY_ID", LocalAwsServers.ACCESS_KEY_ID);
    vars.put("AWS_SECRET_ACCESS_KEY", LocalAwsServers.SECRET_ACCESS_KEY);
    vars.put("IMAGERY_DYNAMODB_ENDPOINT", servers.dynamoDbEndpoint().toString());
    vars.put("IMAGERY_SQS_ENDPOINT", servers.sqsEndpoint().toString());
    vars.put("IMAGERY_S3_ENDPOINT", servers.s3Endpoint().toString());
    vars.put("IMAGERY_CREATE_RESOURCES", "true");
    return vars;
  }

  /**
   * Starts API and worker against {@code servers}. {@code overrides} win over the environment, which wins over
   * the local defaults (loopback only, port 8080).
   */
  public static ImageryStack start(LocalAwsServers servers, Map<String, String> environment,
                                   Map<String, String> overrides) {
    Map<String, String> vars = new HashMap<>();
    vars.put("IMAGERY_HOST", "127.0.0.1");
    // API and worker share a JVM here: each takes a free management port (admin routes, liveness).
    vars.put("IMAGERY_MANAGEMENT_PORT", "0");
    vars.putAll(environment);
    vars.putAll(environmentFor(servers));
    vars.putAll(overrides);
    ImageryConfig config = ImageryConfig.fromEnv(vars);
    ServiceMetrics metrics = ServiceMetrics.create();
    Vertx vertx = metrics.vertx();
    // Clients of their own per service, as in production (and so the AWS call log can tell them apart).
    AwsClients apiAws = AwsClients.create(config, "imagery-api", metrics.registry());
    AwsClients workerAws = AwsClients.create(config, "imagery-worker", metrics.registry());
    ApiVerticle api = new ApiVerticle(config, apiAws, metrics);
    WorkerVerticle worker = new WorkerVerticle(config, workerAws, metrics);
    try {
      ResourceSetup.ensure(vertx, config)
          .compose(created -> vertx.deployVerticle(worker))
          .compose(deployed -> vertx.deployVerticle(api))
          // Called from main or a test thread, never an event loop.
          .await(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      closeQuietly(vertx, List.of(apiAws, workerAws));
      throw new IllegalStateException("Imagery did not start: " + e.getMessage(), e);
    }
    return new ImageryStack(vertx, apiAws, workerAws, config, metrics, api, worker);
  }

  public int apiPort() {
    return api.actualPort();
  }

  public ImageryConfig config() {
    return config;
  }

  /** The API's admin routes' port (its management port), when an admin token is set. */
  public Optional<Integer> adminPort() {
    return api.adminPort();
  }

  /** The API's management port: /metrics, and the admin routes when an admin token is set. */
  public int apiManagementPort() {
    return api.managementPort();
  }

  /** The worker's management port (its liveness endpoint and /metrics). */
  public int workerManagementPort() {
    return worker.managementPort();
  }

  /**
   * Clients for looking at the backend from outside the services (tests), made on first use. Their calls are logged
   * as {@code imagery-local}, never as the API's or the worker's.
   */
  public synchronized AwsClients aws() {
    if (harnessAws == null) {
      harnessAws = AwsClients.create(config, "imagery-local");
    }
    return harnessAws;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Stops API and worker (each drains its work), then the clients. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      List<AwsClients> clients = new ArrayList<>(List.of(apiAws, workerAws));
      synchronized (this) {
        if (harnessAws != null) {
          clients.add(harnessAws);
        }
      }
      closeQuietly(vertx, clients);
    }
  }

  private static void closeQuietly(Vertx vertx, List<AwsClients> clients) {
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Vert.x did not close cleanly: {}", e.toString());
    } finally {
      clients.forEach(AwsClients::close);
    }
  }

}
