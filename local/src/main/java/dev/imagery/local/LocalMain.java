package dev.imagery.local;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One command for the whole of Imagery on this machine: DynamoDB Local, ElasticMQ and S3Proxy on 127.0.0.1, the
 * table, queues and bucket, then the API and the worker. Ctrl-C or SIGTERM stops everything.
 *
 * <pre>
 * java -jar local/target/imagery-local.jar [--data DIR] [--emulators-only]
 * </pre>
 */
public final class LocalMain {

  private static final Logger LOG = LoggerFactory.getLogger(LocalMain.class);

  private LocalMain() {
  }

  public static void main(String[] args) throws InterruptedException {
    List<String> argv = Arrays.asList(args);
    if (argv.contains("--help") || argv.contains("-h")) {
      System.out.println("usage: java -jar imagery-local.jar [--data DIR] [--emulators-only]\n"
          + "  --data DIR        keep tables, queues and objects in DIR between runs (or IMAGERY_LOCAL_DATA_DIR)\n"
          + "  --emulators-only  start only the AWS servers; run imagery-api.jar and imagery-worker.jar yourself");
      return;
    }
    Map<String, String> env = System.getenv();
    Optional<Path> dataDir = option(argv, "--data").or(() -> Optional.ofNullable(env.get("IMAGERY_LOCAL_DATA_DIR")))
        .filter(dir -> !dir.isBlank())
        .map(Path::of);
    long started = System.nanoTime();
    LocalAwsServers servers = LocalAwsServers.start(LocalAwsServers.Ports.fromEnv(env), dataDir);
    CountDownLatch stopped = new CountDownLatch(1);

    if (argv.contains("--emulators-only")) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        servers.stop();
        stopped.countDown();
      }, "imagery-local-shutdown"));
      StringBuilder exports = new StringBuilder();
      new TreeMap<>(ImageryStack.environmentFor(servers))
          .forEach((name, value) -> exports.append("export ").append(name).append('=').append(value).append('\n'));
      System.out.println("\nLocal AWS servers are up. Point the services at them with:\n\n" + exports
          + "\nthen: java -jar api-verticle/target/imagery-api-all.jar  and  java -jar worker-verticle/target/imagery-worker-all.jar\n"
          + "Ctrl-C stops the servers.\n");
      stopped.await();
      return;
    }

    ImageryStack stack;
    try {
      stack = ImageryStack.start(servers, env, Map.of());
    } catch (RuntimeException e) {
      servers.stop();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping Imagery");
      stack.close();
      servers.stop();
      LOG.info("Imagery stopped");
      stopped.countDown();
    }, "imagery-local-shutdown"));
    long readyMs = (System.nanoTime() - started) / 1_000_000;
    System.out.println("\nImagery is ready in " + readyMs + " ms: open http://127.0.0.1:" + stack.apiPort()
        + "/  (data " + dataDir.map(d -> "kept in " + d.toAbsolutePath()).orElse("in memory") + "; Ctrl-C stops)\n"
        + "Prometheus metrics of both services: http://127.0.0.1:" + stack.apiManagementPort() + "/metrics\n");
    stopped.await();
  }

  private static Optional<String> option(List<String> argv, String name) {
    int at = argv.indexOf(name);
    return at >= 0 && at + 1 < argv.size() ? Optional.of(argv.get(at + 1)) : Optional.empty();
  }
}
