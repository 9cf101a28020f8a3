package dev.imagery.local.chaos;

import dev.imagery.local.ImageryStack;
import dev.imagery.local.LocalAwsServers;
import dev.imagery.local.iam.RecordedCalls;
import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.runtime.ResourceSetup;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sqs.model.GetQueueAttributesRequest;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The emulators in this JVM (fresh, in memory), the resources provisioned once, and the Imagery services as separate
 * processes against them. Also the test's own view of the backend: records read straight from DynamoDB, S3 keys,
 * queue counts. {@link #close()} kills every process still running, then stops the emulators.
 */
final class ChaosStack implements AutoCloseable {

  static final Path LOG_ROOT = Path.of(System.getProperty("basedir", "."), "target", "chaos-logs");
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The services' own console appender (shared's imagery-console.xml: JSON lines, as in the containers), plus the
   * heartbeat's DEBUG lines (proof a worker holds a message). {@link ServiceProcess#logText()} renders the lines as
   * text for the tests that match words; {@link ServiceProcess#logEvents()} reads their fields.
   */
  private static final String LOGBACK = """
      <configuration>
        <statusListener class="ch.qos.logback.core.status.NopStatusListener"/>
        <property name="service" value="%s"/>
        <include resource="imagery-console.xml"/>
        <logger name="dev.imagery" level="INFO"/>
        <logger name="dev.imagery.worker.VisibilityHeartbeat" level="DEBUG"/>
        <logger name="software.amazon.awssdk" level="WARN"/>
        <logger name="io.netty" level="WARN"/>
        <root level="WARN"><appender-ref ref="CONSOLE"/></root>
      </configuration>
      """;

  /** Queue counts as SQS approximates them. */
  record QueueCounts(int visible, int inFlight) {
    int total() {
      return visible + inFlight;
    }
  }

  private final LocalAwsServers servers;
  private final Vertx vertx;
  private final AwsClients aws;
  private final ImageryConfig config;
  private final Map<String, String> env;
  private final Path logDir;
  private final Map<ServiceProcess.Kind, Path> logbackConfigs;
  private final String queueUrl;
  private final String deadLetterQueueUrl;
  private final List<ServiceProcess> processes = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> starts = new HashMap<>();

  private ChaosStack(LocalAwsServers servers, Vertx vertx, AwsClients aws, ImageryConfig config,
                     Map<String, String> env, Path logDir, Map<ServiceProcess.Kind, Path> logbackConfigs) {
    this.servers = servers;
    this.vertx = vertx;
    this.aws = aws;
    this.config = config;
    this.env = env;
    this.logDir = logDir;
    this.logbackConfigs = logbackConfigs;
    this.queueUrl = queueUrl(config.resources().queue());
    this.deadLetterQueueUrl = queueUrl(config.resources().deadLetterQueue());
  }

  /**
   * Starts fresh emulators and provisions the table, queues and bucket with {@code sharedEnv} (which every service
   * process also gets). Logs go to {@code target/chaos-logs/<testName>/}, emptied first.
   */
  static ChaosStack start(String testName, Map<String, String> sharedEnv) {
    Path logDir = LOG_ROOT.resolve(testName);
    deleteRecursively(logDir);
    Map<ServiceProcess.Kind, Path> logback = Map.of(
        ServiceProcess.Kind.API, logDir.resolve("logback-chaos-api.xml"),
        ServiceProcess.Kind.WORKER, logDir.resolve("logback-chaos-worker.xml"));
    write(logback.get(ServiceProcess.Kind.API), LOGBACK.formatted("imagery-api"));
    write(logback.get(ServiceProcess.Kind.WORKER), LOGBACK.formatted("imagery-worker"));
    LocalAwsServers servers = LocalAwsServers.start(LocalAwsServers.Ports.anyFree(), Optional.empty());
    Vertx vertx = null;
    AwsClients aws = null;
    try {
      Map<String, String> env = new HashMap<>(ImageryStack.environmentFor(servers));
      env.put("IMAGERY_HOST", "127.0.0.1");
      // Several services share this host: each process gets a free management port of its own (startApi,
      // startWorker), kept across a restart, so that the test can read its /metrics.
      env.put("IMAGERY_MANAGEMENT_PORT", "0");
      // Several JVMs start at once on 2 shared cores, and DynamoDB Local then answers a first DescribeTable in more
      // than the production 3 s a try (seen in CI: an API that never started). As in docker/compose.ci.yaml.
      env.put("IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS", "10000");
      env.put("IMAGERY_DYNAMODB_CALL_TIMEOUT_MS", "30000");
      env.putAll(RecordedCalls.env());
      env.putAll(sharedEnv);
      ImageryConfig config = ImageryConfig.fromEnv(env);
      vertx = Vertx.vertx();
      aws = AwsClients.create(config, "imagery-chaos-test");
      // Provisioned once here, so that the services (which check them again) never race to create them.
      ResourceSetup.ensure(vertx, config).await(60, TimeUnit.SECONDS);
      return new ChaosStack(servers, vertx, aws, config, Map.copyOf(env), logDir, logback);
    } catch (Exception e) {
      if (vertx != null) {
        vertx.close();
      }
      if (aws != null) {
        aws.close();
      }
      servers.stop();
      throw new IllegalStateException("chaos stack did not start: " + e, e);
    }
  }

  Path logDir() {
    return logDir;
  }

  /** The test's own clients of the emulators (logged as imagery-chaos-test, not as a service). */
  AwsClients aws() {
    return aws;
  }

  ImageryConfig config() {
    return config;
  }

  /** Starts an API process on {@code port} (returns at once). */
  ServiceProcess startApi(String name, int port, Map<String, String> overrides) {
    return start(new ServiceProcess.Spec(ServiceProcess.Kind.API, name, OptionalInt.of(port),
        withManagementPort(ServiceProcess.merge(env, overrides)), logbackConfigs.get(ServiceProcess.Kind.API)));
  }

  /** Starts a worker process (returns at once). */
  ServiceProcess startWorker(String name, Map<String, String> overrides) {
    return startWorker(name, overrides, List.of());
  }

  /** Starts a worker process with these JVM options too, e.g. its own {@code -Xmx} (returns at once). */
  ServiceProcess startWorker(String name, Map<String, String> overrides, List<String> jvmOptions) {
    return start(new ServiceProcess.Spec(ServiceProcess.Kind.WORKER, name, OptionalInt.empty(),
        withManagementPort(ServiceProcess.merge(env, overrides)), logbackConfigs.get(ServiceProcess.Kind.WORKER),
        jvmOptions));
  }

  /** A free management port for a new process, unless the test chose one. */
  private static Map<String, String> withManagementPort(Map<String, String> env) {
    if ("0".equals(env.get("IMAGERY_MANAGEMENT_PORT"))) {
      env.put("IMAGERY_MANAGEMENT_PORT", Integer.toString(ServiceProcess.freePort()));
    }
    return env;
  }

  /** Starts {@code dead} again: same settings and port, a log file of its own. */
  ServiceProcess restart(ServiceProcess dead) {
    ServiceProcess next = dead.restart(nextLog(dead.name()));
    processes.add(next);
    return next;
  }

  private ServiceProcess start(ServiceProcess.Spec spec) {
    ServiceProcess process = ServiceProcess.start(spec, nextLog(spec.name()));
    processes.add(process);
    return process;
  }

  private synchronized Path nextLog(String name) {
    int n = starts.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    return logDir.resolve(n == 1 ? name + ".log" : name + "-run" + n + ".log");
  }

  /** Every process started, dead or alive, in start order. */
  List<ServiceProcess> processes() {
    return List.copyOf(processes);
  }

  /** Matching lines of every worker log (killed and restarted workers included). */
  List<String> workerLogLines(Pattern pattern) {
    return processes.stream()
        .filter(p -> p.kind() == ServiceProcess.Kind.WORKER)
        .flatMap(p -> p.logLines(pattern).stream().map(line -> p.name() + ": " + line))
        .toList();
  }

  // ------------------------------------------------------------------------------------------ the backend

  Optional<ImageRecord> record(String id) {
    GetItemResponse response = join(aws.dynamoDb().getItem(GetItemRequest.builder()
        .tableName(config.resources().table())
        .key(Map.of("id", AttributeValue.fromS(id)))
        .consistentRead(true)
        .build()));
    return response.hasItem() && !response.item().isEmpty()
        ? Optional.of(ImageRecord.fromItem(response.item()))
        : Optional.empty();
  }

  /** Every record of the table, by id. */
  Map<String, ImageRecord> allRecords() {
    Map<String, ImageRecord> records = new HashMap<>();
    Map<String, AttributeValue> start = null;
    do {
      ScanResponse page = join(aws.dynamoDb().scan(ScanRequest.builder()
          .tableName(config.resources().table())
          .consistentRead(true)
          .exclusiveStartKey(start)
          .build()));
      page.items().forEach(item -> {
        ImageRecord record = ImageRecord.fromItem(item);
        records.put(record.id(), record);
      });
      start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
    } while (start != null);
    return records;
  }

  /** Every S3 key under {@code prefix}, all pages. */
  List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>();
    String token = null;
    do {
      ListObjectsV2Response page = join(aws.s3().listObjectsV2(ListObjectsV2Request.builder()
          .bucket(config.resources().bucket())
          .prefix(prefix)
          .continuationToken(token)
          .build()));
      page.contents().stream().map(S3Object::key).forEach(keys::add);
      token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
    } while (token != null);
    return keys;
  }

  QueueCounts jobs() {
    return counts(queueUrl);
  }

  QueueCounts deadLetters() {
    return counts(deadLetterQueueUrl);
  }

  /** Deletes every job in the queue (ElasticMQ allows it at any time; real SQS once a minute). */
  void purgeJobs() {
    join(aws.sqs().purgeQueue(software.amazon.awssdk.services.sqs.model.PurgeQueueRequest.builder()
        .queueUrl(queueUrl).build()));
  }

  private QueueCounts counts(String url) {
    Map<QueueAttributeName, String> attributes = join(aws.sqs().getQueueAttributes(GetQueueAttributesRequest.builder()
        .queueUrl(url)
        .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)
        .build())).attributes();
    return new QueueCounts(Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)),
        Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)));
  }

  private String queueUrl(String name) {
    return join(aws.sqs().getQueueUrl(GetQueueUrlRequest.builder().queueName(name).build())).queueUrl();
  }

  private static <T> T join(java.util.concurrent.CompletableFuture<T> call) {
    try {
      return call.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("backend call failed: " + e, e);
    }
  }

  /** Appends a line to {@code target/chaos-logs/<file>}, which keeps the lines of every run. */
  static void appendToRunLog(String file, String line) {
    try {
      Files.createDirectories(LOG_ROOT);
      Files.writeString(LOG_ROOT.resolve(file), line + System.lineSeparator(), StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills every service process still running, then stops the clients and the emulators. */
  @Override
  public void close() {
    try {
      processes.forEach(ServiceProcess::close);
    } finally {
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // The emulators stop anyway.
      } finally {
        aws.close();
        servers.stop();
      }
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
