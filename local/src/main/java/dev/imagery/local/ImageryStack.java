package dev.imagery.local;

import dev.imagery.api.ApiVerticle;
import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.runtime.ResourceSetup;
import dev.imagery.worker.WorkerVerticle;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API and the worker in one Vert.x instance, pointed at a set of local AWS servers, with the table, queues and
 * bucket created if missing. {@code imagery-local.jar} runs one; the end-to-end tests run the same thing.
 */
public final class ImageryStack implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ImageryStack.class);

  private final Vertx vertx;
  private final AwsClients aws;
  private final ImageryConfig config;
  private final ApiVerticle api;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private ImageryStack(Vertx vertx, AwsClients aws, ImageryConfig config, ApiVerticle api) {
    this.vertx = vertx;
    this.aws = aws;
    this.config = config;
    this.api = api;
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
    vars.putAll(environment);
    vars.putAll(environmentFor(servers));
    vars.putAll(overrides);
    ImageryConfig config = ImageryConfig.fromEnv(vars);
    Vertx vertx = Vertx.vertx();
    AwsClients aws = AwsClients.create(config.aws());
    ApiVerticle api = new ApiVerticle(config, aws);
    try {
      ResourceSetup.ensure(vertx, aws, config)
          .compose(created -> vertx.deployVerticle(new WorkerVerticle(config, aws)))
          .compose(worker -> vertx.deployVerticle(api))
          // Called from main or a test thread, never an event loop.
          .await(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      closeQuietly(vertx, aws);
      throw new IllegalStateException("Imagery did not start: " + e.getMessage(), e);
    }
    return new ImageryStack(vertx, aws, config, api);
  }

  public int apiPort() {
    return api.actualPort();
  }

  public ImageryConfig config() {
    return config;
  }

  public AwsClients aws() {
    return aws;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Stops API and worker (each drains its work), then the clients. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      closeQuietly(vertx, aws);
    }
  }

  private static void closeQuietly(Vertx vertx, AwsClients aws) {
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("Vert.x did not close cleanly: {}", e.toString());
    } finally {
      aws.close();
    }
  }

}
