package dev.imagery.shared.runtime;

import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one service as its own process: Vert.x, the AWS clients, the verticle; on SIGTERM the verticle is
 * undeployed (its stop drains work) before the clients close.
 */
public final class ServiceLauncher {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceLauncher.class);
  private static final long SHUTDOWN_TIMEOUT_SECONDS = 30;

  private ServiceLauncher() {
  }

  public static void run(String name, ImageryConfig config, Function<AwsClients, Deployable> verticle) {
    long started = System.nanoTime();
    Vertx vertx = Vertx.vertx();
    AwsClients aws = AwsClients.create(config.aws());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(name, vertx, aws), name + "-shutdown"));
    ResourceSetup.ensure(vertx, aws, config)
        .compose(ready -> vertx.deployVerticle(verticle.apply(aws)))
        .onSuccess(id -> LOG.info("{} started in {} ms", name, (System.nanoTime() - started) / 1_000_000))
        .onFailure(err -> {
          LOG.error("{} failed to start: {}", name, err.toString(), err);
          // Exits through the shutdown hook, which releases what did start.
          System.exit(1);
        });
  }

  private static void stop(String name, Vertx vertx, AwsClients aws) {
    LOG.info("{} stopping", name);
    try {
      // Off the event loop (a JVM shutdown thread): waiting here blocks nothing that serves requests.
      vertx.close().await(SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      LOG.warn("{} did not stop within {} s", name, SHUTDOWN_TIMEOUT_SECONDS);
    } catch (RuntimeException e) {
      LOG.warn("{} stopped with an error: {}", name, e.toString());
    } finally {
      aws.close();
    }
    LOG.info("{} stopped", name);
  }
}
