package dev.imagery.shared.runtime;

import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.metrics.ServiceMetrics;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one service as its own process: its metrics registry, Vert.x reporting into it, the AWS clients (measured into
 * it too), the verticle; on SIGTERM the verticle is undeployed (its stop drains work) before the clients close.
 */
public final class ServiceLauncher {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceLauncher.class);
  private static final long START_TIMEOUT_SECONDS = 120;

  private ServiceLauncher() {
  }

  /**
   * Starts the service and returns once it is deployed; exits with status 1 if it cannot start. Called on the main
   * thread, which waits here: Vert.x starts its (non-daemon) threads lazily, so returning early could let the JVM
   * exit before anything runs.
   */
  public static void run(String name, ImageryConfig config,
                         BiFunction<AwsClients, ServiceMetrics, Deployable> verticle) {
    long started = System.nanoTime();
    ServiceMetrics metrics = ServiceMetrics.create();
    Vertx vertx = metrics.vertx();
    AwsClients aws = AwsClients.create(config, name, metrics.registry());
    // Here on the main thread, not on the event loop of the first AWS call.
    aws.warmUpCredentials();
    long shutdownSeconds = config.shutdownTimeout().toSeconds();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(name, vertx, aws, shutdownSeconds),
        name + "-shutdown"));
    try {
      ResourceSetup.ensure(vertx, config)
          .compose(ready -> vertx.deployVerticle(verticle.apply(aws, metrics)))
          .await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      LOG.info("{} started in {} ms", name, (System.nanoTime() - started) / 1_000_000);
    } catch (Exception e) {
      LOG.error("{} failed to start: {}", name, e.toString(), e);
      // Exits through the shutdown hook, which releases what did start.
      System.exit(1);
    }
  }

  private static void stop(String name, Vertx vertx, AwsClients aws, long shutdownSeconds) {
    LOG.info("{} stopping", name);
    try {
      // Off the event loop (a JVM shutdown thread): waiting here blocks nothing that serves requests.
      vertx.close().await(shutdownSeconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      LOG.warn("{} did not stop within {} s", name, shutdownSeconds);
    } catch (RuntimeException e) {
      LOG.warn("{} stopped with an error: {}", name, e.toString());
    } finally {
      aws.close();
    }
    LOG.info("{} stopped", name);
  }
}
