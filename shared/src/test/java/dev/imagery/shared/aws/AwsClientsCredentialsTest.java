package dev.imagery.shared.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.imagery.shared.config.ImageryConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * The credentials the clients sign with. The default chain is exercised for real: its container provider is pointed
 * (through the SDK's system property for {@code AWS_CONTAINER_CREDENTIALS_FULL_URI}) at a credentials endpoint on
 * 127.0.0.1 that this test serves, as ECS and EKS Pod Identity serve one to a task.
 */
class AwsClientsCredentialsTest {

  /** The frames of the SDK's HTTP credentials fetch: a thread with one in its stack is calling the endpoint. */
  private static final String HTTP_CREDENTIALS_LOADER =
      "software.amazon.awssdk.auth.credentials.internal.HttpCredentialsLoader";

  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @Test
  void bothKeysGiveStaticCredentials() {
    AwsCredentialsProvider provider = AwsClients.credentials(ImageryConfig.fromEnv(Map.of(
        "AWS_ACCESS_KEY_ID", "AKIDSTATIC", "AWS_SECRET_ACCESS_KEY", "static-secret")).aws());

    assertThat(provider).isInstanceOf(StaticCredentialsProvider.class);
    assertThat(provider.resolveCredentials().accessKeyId()).isEqualTo("AKIDSTATIC");
    assertThat(provider.resolveCredentials().secretAccessKey()).isEqualTo("static-secret");
  }

  @Test
  void oneKeyAloneLeavesTheDefaultChain() {
    AwsCredentialsProvider provider = AwsClients.credentials(ImageryConfig.fromEnv(Map.of(
        "AWS_ACCESS_KEY_ID", "AKIDALONE")).aws());

    assertThat(provider).isInstanceOf(DefaultCredentialsProvider.class);
    ((SdkAutoCloseable) provider).close();
  }

  /**
   * Expiring container credentials are refreshed by an SDK thread while the caller keeps the cached ones: the
   * caller (in production a Vert.x event loop) never waits for the endpoint once credentials are cached.
   */
  @Test
  void theDefaultChainRefreshesExpiringCredentialsOffTheCallersThread(@TempDir Path dir) throws Exception {
    // Anything earlier in the chain than the container provider would answer instead of it.
    assumeTrue(Stream.of("AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .allMatch(name -> System.getenv(name) == null), "the environment holds AWS credentials settings");
    assumeTrue(Stream.of("aws.accessKeyId", "aws.webIdentityTokenFile", "aws.containerCredentialsPath")
        .allMatch(name -> System.getProperty(name) == null), "the system properties hold AWS credentials settings");

    CredentialsEndpoint endpoint = new CredentialsEndpoint();
    Map<String, String> properties = Map.of(
        "aws.containerCredentialsFullUri", endpoint.uri(),
        // No profile answers: the files do not exist.
        "aws.sharedCredentialsFile", dir.resolve("credentials").toString(),
        "aws.configFile", dir.resolve("config").toString());
    properties.forEach(System::setProperty);
    AwsCredentialsProvider provider = AwsClients.credentials(ImageryConfig.fromEnv(Map.of()).aws());
    try {
      Thread caller = Thread.currentThread();

      // Nothing is cached yet, so the first resolution fetches on the caller's thread (as the SDK documents).
      assertThat(provider.resolveCredentials().accessKeyId()).isEqualTo("AKIDFIRST");
      assertThat(endpoint.fetchers.get(0)).as("threads fetching the first credentials").contains(caller);

      // The first credentials are within their prefetch window: a resolution starts a refresh, which the endpoint
      // holds until released.
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      do {
        assertThat(provider.resolveCredentials().accessKeyId()).isEqualTo("AKIDFIRST");
        assertThat(System.nanoTime() - deadline).as("a refresh to reach the endpoint within " + DEADLINE)
            .isNegative();
      } while (!endpoint.refreshArrived.await(100, TimeUnit.MILLISECONDS));

      assertThat(endpoint.fetchers.get(1)).as("threads fetching the refresh").isNotEmpty().doesNotContain(caller);
      // While the endpoint still holds the refresh, the caller is answered at once from the cache.
      assertThat(provider.resolveCredentials().accessKeyId()).isEqualTo("AKIDFIRST");
      assertThat(endpoint.answered.get()).as("answers sent while the refresh is held").isEqualTo(1);

      endpoint.release.countDown();
      String seen = provider.resolveCredentials().accessKeyId();
      while (!seen.equals("AKIDSECOND")) {
        assertThat(System.nanoTime() - deadline).as("the refreshed credentials within " + DEADLINE).isNegative();
        endpoint.answeredRefresh.await(100, TimeUnit.MILLISECONDS);
        seen = provider.resolveCredentials().accessKeyId();
      }
      assertThat(seen).isEqualTo("AKIDSECOND");
    } finally {
      ((SdkAutoCloseable) provider).close();
      properties.keySet().forEach(System::clearProperty);
      endpoint.close();
    }
  }

  /**
   * A container credentials endpoint. It answers the first request at once, with credentials that enter the SDK's
   * prefetch window at once (they expire in two minutes), and holds every later one until released, then answers
   * with credentials good for hours. For each request it records the threads of this JVM that are fetching.
   */
  private static final class CredentialsEndpoint implements AutoCloseable {
    final List<Set<Thread>> fetchers = new CopyOnWriteArrayList<>();
    final CountDownLatch refreshArrived = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch answeredRefresh = new CountDownLatch(1);
    final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final HttpServer server;

    CredentialsEndpoint() throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.setExecutor(threads);
      server.createContext("/credentials", this::handle);
      server.start();
    }

    String uri() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/credentials";
    }

    private void handle(HttpExchange exchange) throws IOException {
      int n = requests.incrementAndGet();
      // The client is blocked reading this answer, so its thread is in the loader's frames now.
      fetchers.add(threadsFetchingCredentials());
      String body;
      if (n == 1) {
        body = credentials("AKIDFIRST", Instant.now().plus(Duration.ofMinutes(2)));
      } else {
        refreshArrived.countDown();
        try {
          // Longer than the test waits: a caller stuck in this refresh cannot release it.
          release.await(DEADLINE.toSeconds() * 2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        body = credentials("AKIDSECOND", Instant.now().plus(Duration.ofHours(6)));
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
      answered.incrementAndGet();
      if (n > 1) {
        answeredRefresh.countDown();
      }
    }

    private static String credentials(String accessKeyId, Instant expiration) {
      return "{\"AccessKeyId\":\"" + accessKeyId + "\",\"SecretAccessKey\":\"secret-" + accessKeyId
          + "\",\"Token\":\"token-" + accessKeyId
          + "\",\"Expiration\":\"" + expiration.truncatedTo(ChronoUnit.SECONDS) + "\"}";
    }

    private static Set<Thread> threadsFetchingCredentials() {
      return Thread.getAllStackTraces().entrySet().stream()
          .filter(thread -> Arrays.stream(thread.getValue())
              .anyMatch(frame -> frame.getClassName().equals(HTTP_CREDENTIALS_LOADER)))
          .map(Map.Entry::getKey)
          .collect(Collectors.toSet());
    }

    @Override
    public void close() {
      release.countDown();
      server.stop(0);
      threads.shutdownNow();
    }
  }
}
