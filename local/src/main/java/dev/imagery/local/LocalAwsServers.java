package dev.imagery.local;

import com.amazonaws.services.dynamodbv2.local.main.CommandLineInput;
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.AbstractLocalDynamoDBServerHandler;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import com.amazonaws.services.dynamodbv2.local.server.LocalDynamoDBRequestHandler;
import com.amazonaws.services.dynamodbv2.local.shared.access.LocalDBClient;
import com.amazonaws.services.dynamodbv2.local.shared.jobs.JobsRegister;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.http.scaladsl.Http;
import org.apache.pekko.pattern.Patterns;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.elasticmq.StrictSQSLimits$;
import org.elasticmq.actor.QueueManagerActor;
import org.elasticmq.actor.queue.QueueEvent;
import org.elasticmq.persistence.sql.SqlQueuePersistenceActor;
import org.elasticmq.persistence.sql.SqlQueuePersistenceConfig;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.elasticmq.rest.sqs.TheSQSRestServerBuilder;
import org.elasticmq.util.NowProvider;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.collection.immutable.List$;
import scala.util.Left;

/**
 * DynamoDB Local, ElasticMQ (SQS) and S3Proxy (S3) in this JVM, each on its own port of 127.0.0.1 only: the real
 * AWS wire protocols, so the production SDK clients talk to them unchanged (endpoint override, path-style S3).
 *
 * <p>Without a data directory everything lives in memory and is gone after {@link #stop()}. With one, DynamoDB
 * Local keeps its SQLite file in {@code <dataDir>/dynamodb}, S3Proxy stores objects as files under
 * {@code <dataDir>/s3/<bucket>/}, and ElasticMQ keeps queues and messages in an H2 database in {@code <dataDir>/sqs}.
 *
 * <p>{@link #stop()} (or {@link #close()}) releases the ports and every non-daemon thread the servers started, so
 * the servers can start again in the same JVM and the JVM can exit.
 */
public final class LocalAwsServers implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalAwsServers.class);

  /** The only interface the servers listen on. */
  public static final String HOST = "127.0.0.1";
  public static final String REGION = "us-east-1";
  /**
   * S3Proxy verifies SigV2/SigV4 signatures made with exactly these; ElasticMQ accepts any; DynamoDB Local 2.x
   * accepts any secret but only an access key of letters and digits ("imagery-local" gets "The Access Key ID or
   * security token is invalid").
   */
  public static final String ACCESS_KEY_ID = "imagerylocal";
  public static final String SECRET_ACCESS_KEY = "imagery-local-secret";
  /** The account in ElasticMQ's queue URLs and ARNs. */
  public static final String ACCOUNT_ID = "000000000000";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final String DYNAMODB_NAME = "DynamoDB Local";
  private static final String SQS_NAME = "ElasticMQ (SQS)";
  private static final String S3_NAME = "S3Proxy (S3)";
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The three ports; 0 means "any free port" (see {@link LocalAwsServers#ports()} for the ones bound).
   *
   * @param dynamodb DynamoDB Local
   * @param sqs ElasticMQ
   * @param s3 S3Proxy
   */
  public record Ports(int dynamodb, int sqs, int s3) {

    public static final int DEFAULT_DYNAMODB = 8000;
    public static final int DEFAULT_SQS = 9324;
    public static final int DEFAULT_S3 = 9090;
    public static final String DYNAMODB_ENV = "IMAGERY_LOCAL_DYNAMODB_PORT";
    public static final String SQS_ENV = "IMAGERY_LOCAL_SQS_PORT";
    public static final String S3_ENV = "IMAGERY_LOCAL_S3_PORT";

    public Ports {
      requirePort(dynamodb, "dynamodb");
      requirePort(sqs, "sqs");
      requirePort(s3, "s3");
    }

    /** 8000 / 9324 / 9090, the emulators' usual ports. */
    public static Ports defaults() {
      return new Ports(DEFAULT_DYNAMODB, DEFAULT_SQS, DEFAULT_S3);
    }

    /** Free ports picked by the OS: for tests. */
    public static Ports anyFree() {
      return new Ports(0, 0, 0);
    }

    /** The defaults, each overridable by {@value #DYNAMODB_ENV}, {@value #SQS_ENV}, {@value #S3_ENV}. */
    public static Ports fromEnv(Map<String, String> env) {
      return new Ports(
          envPort(env, DYNAMODB_ENV, DEFAULT_DYNAMODB),
          envPort(env, SQS_ENV, DEFAULT_SQS),
          envPort(env, S3_ENV, DEFAULT_S3));
    }

    private static int envPort(Map<String, String> env, String name, int fallback) {
      String value = env.get(name);
      if (value == null || value.isBlank()) {
        return fallback;
      }
      try {
        int port = Integer.parseInt(value.trim());
        requirePort(port, name);
        return port;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be a port number (0 = any free port), was '" + value + "'");
      }
    }

    private static void requirePort(int port, String what) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException(what + " port must be 0..65535, was " + port);
      }
    }
  }

  private Running dynamoDb;
  private Running sqs;
  private Running s3;
  private final Optional<Path> dataDir;
  private boolean stopped;

  private LocalAwsServers(Running dynamoDb, Running sqs, Running s3, Optional<Path> dataDir) {
    this.dynamoDb = dynamoDb;
    this.sqs = sqs;
    this.s3 = s3;
    this.dataDir = dataDir;
  }

  /**
   * Starts the three servers in parallel and returns once all of them answer on their ports.
   *
   * @param ports the ports, 0 for any free one
   * @param dataDir where to keep data across restarts; empty for in-memory only
   * @throws IllegalStateException if a port is in use or a server fails to start; whatever did start is stopped
   */
  public static LocalAwsServers start(Ports ports, Optional<Path> dataDir) {
    Objects.requireNonNull(ports, "ports");
    Objects.requireNonNull(dataDir, "dataDir");
    long startedAt = System.nanoTime();
    Optional<Path> dir = dataDir.map(Path::toAbsolutePath);
    // Checked up front so that a taken port fails fast, before any server starts (or logs a bind stack trace).
    // A port taken between this check and the bind still fails with the same message, from startOrExplain.
    List<String> taken = new ArrayList<>();
    requireFree(ports.dynamodb(), DYNAMODB_NAME, Ports.DYNAMODB_ENV).ifPresent(taken::add);
    requireFree(ports.sqs(), SQS_NAME, Ports.SQS_ENV).ifPresent(taken::add);
    requireFree(ports.s3(), S3_NAME, Ports.S3_ENV).ifPresent(taken::add);
    if (!taken.isEmpty()) {
      throw new IllegalStateException(String.join("; ", taken));
    }

    AtomicInteger threads = new AtomicInteger();
    ExecutorService starter = Executors.newFixedThreadPool(3, task -> {
      Thread thread = new Thread(task, "imagery-local-start-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    try {
      CompletableFuture<Running> dynamoDb = CompletableFuture.supplyAsync(
          () -> startOrExplain(DYNAMODB_NAME, ports.dynamodb(), Ports.DYNAMODB_ENV,
              () -> DynamoDbLocal.start(ports.dynamodb(), dir)), starter);
      CompletableFuture<Running> sqs = CompletableFuture.supplyAsync(
          () -> startOrExplain(SQS_NAME, ports.sqs(), Ports.SQS_ENV,
              () -> ElasticMq.start(ports.sqs(), dir)), starter);
      CompletableFuture<Running> s3 = CompletableFuture.supplyAsync(
          () -> startOrExplain(S3_NAME, ports.s3(), Ports.S3_ENV,
              () -> S3ProxyServer.start(ports.s3(), dir)), starter);

      List<Running> started = new ArrayList<>();
      List<Throwable> failures = new ArrayList<>();
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      for (CompletableFuture<Running> server : List.of(dynamoDb, sqs, s3)) {
        try {
          started.add(server.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (ExecutionException | CompletionException e) {
          failures.add(e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
          // Should it start after all, stop it then.
          server.thenAccept(LocalAwsServers::stopQuietly);
          failures.add(new IllegalStateException("a local AWS server did not start within " + START_TIMEOUT, e));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          server.thenAccept(LocalAwsServers::stopQuietly);
          failures.add(e);
        }
      }
      if (!failures.isEmpty()) {
        started.forEach(LocalAwsServers::stopQuietly);
        Throwable first = failures.get(0);
        IllegalStateException failure = failures.size() == 1 && first instanceof IllegalStateException only
            ? only
            : new IllegalStateException("Local AWS servers failed to start: "
                + failures.stream().map(Throwable::getMessage).toList(), first);
        failures.stream().skip(1).forEach(failure::addSuppressed);
        throw failure;
      }
      LocalAwsServers servers = new LocalAwsServers(started.get(0), started.get(1), started.get(2), dir);
      LOG.info("Local AWS servers up in {} ms ({}): DynamoDB {}, SQS {}, S3 {}",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt),
          dir.map(d -> "data in " + d).orElse("in memory"),
          servers.dynamoDbEndpoint(), servers.sqsEndpoint(), servers.s3Endpoint());
      return servers;
    } finally {
      starter.shutdownNow();
    }
  }

  public URI dynamoDbEndpoint() {
    return endpoint(dynamoDb.port());
  }

  public URI sqsEndpoint() {
    return endpoint(sqs.port());
  }

  public URI s3Endpoint() {
    return endpoint(s3.port());
  }

  /** The ports actually bound (never 0). */
  public Ports ports() {
    return new Ports(dynamoDb.port(), sqs.port(), s3.port());
  }

  public Optional<Path> dataDir() {
    return dataDir;
  }

  /** The three servers, for playing an outage of one of them. */
  public enum Service { DYNAMODB, SQS, S3 }

  /**
   * Stops one server to play an outage: clients get connection refused on its port until {@link #restore}. With a
   * data directory its data survives; in memory it is lost.
   */
  public synchronized void interrupt(Service service) throws Exception {
    Running running = running(service);
    LOG.warn("outage: stopping {} on port {}", running.name(), running.port());
    running.stop();
  }

  /** Starts a server stopped by {@link #interrupt} again, on the same port and with the same data. */
  public synchronized void restore(Service service) throws Exception {
    int port = running(service).port();
    Running restarted = switch (service) {
      case DYNAMODB -> DynamoDbLocal.start(port, dataDir);
      case SQS -> ElasticMq.start(port, dataDir);
      case S3 -> S3ProxyServer.start(port, dataDir);
    };
    switch (service) {
      case DYNAMODB -> dynamoDb = restarted;
      case SQS -> sqs = restarted;
      case S3 -> s3 = restarted;
    }
    LOG.warn("outage over: {} is back on port {}", restarted.name(), port);
  }

  private Running running(Service service) {
    return switch (service) {
      case DYNAMODB -> dynamoDb;
      case SQS -> sqs;
      case S3 -> s3;
    };
  }

  /** Stops all three servers and releases their ports; idempotent. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    long stoppingAt = System.nanoTime();
    List<Exception> failures = new ArrayList<>();
    for (Running server : List.of(s3, sqs, dynamoDb)) {
      try {
        server.stop();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        failures.add(e);
      }
    }
    if (!failures.isEmpty()) {
      IllegalStateException failure = new IllegalStateException("Stopping the local AWS servers failed",
          failures.get(0));
      failures.stream().skip(1).forEach(failure::addSuppressed);
      throw failure;
    }
    LOG.info("Local AWS servers stopped in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppingAt));
  }

  @Override
  public void close() {
    stop();
  }

  private static URI endpoint(int port) {
    return URI.create("http://" + HOST + ":" + port);
  }

  // ---------------------------------------------------------------------------------------------- plumbing

  /** One started server. */
  private interface Running {
    String name();

    int port();

    void stop() throws Exception;
  }

  @FunctionalInterface
  private interface Starter {
    Running start() throws Exception;
  }

  private static Optional<String> requireFree(int port, String name, String envVariable) {
    if (port == 0) {
      return Optional.empty();
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true); // as the servers do: a port in TIME_WAIT after a stop counts as free
      probe.bind(new InetSocketAddress(HOST, port));
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(portInUse(port, name, envVariable));
    }
  }

  private static String portInUse(int port, String name, String envVariable) {
    return "port " + port + " for " + name + " is in use: is another Imagery local stack running? set " + envVariable;
  }

  private static Running startOrExplain(String name, int port, String envVariable, Starter starter) {
    try {
      return starter.start();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      if (port != 0 && isBindFailure(e)) {
        throw new IllegalStateException(portInUse(port, name, envVariable), e);
      }
      throw new IllegalStateException(name + " failed to start on " + HOST + ":" + port + ": " + e, e);
    }
  }

  private static boolean isBindFailure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof BindException || message.contains("Address already in use")
          || message.startsWith("Failed to bind") || message.contains("Bind failed")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static void stopQuietly(Running server) {
    try {
      server.stop();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.warn("Stopping {} after a failed start failed too", server.name(), e);
    }
  }

  private static Path directory(Path dataDir, String child) throws IOException {
    return Files.createDirectories(dataDir.resolve(child));
  }

  // ---------------------------------------------------------------------------------------------- DynamoDB

  /** DynamoDB Local's Jetty server, re-bound from 0.0.0.0 to {@link #HOST}. */
  private static final class DynamoDbLocal implements Running {

    private final DynamoDBProxyServer server;
    private final int port;

    private DynamoDbLocal(DynamoDBProxyServer server, int port) {
      this.server = server;
      this.port = port;
    }

    static Running start(int port, Optional<Path> dataDir) throws Exception {
      List<String> args = new ArrayList<>(List.of(
          // The CLI insists on 1..65535; the connector's real port (maybe 0) is set below.
          "-port", Integer.toString(port == 0 ? Ports.DEFAULT_DYNAMODB : port),
          "-disableTelemetry",
          // One database whatever the credentials and region of the client (the AWS CLI, a console, ...).
          "-sharedDb"));
      if (dataDir.isPresent()) {
        args.addAll(List.of("-dbPath", directory(dataDir.get(), "dynamodb").toString()));
      } else {
        args.add("-inMemory");
      }
      CommandLineInput input = new CommandLineInput(args.toArray(String[]::new));
      if (!input.init()) {
        throw new IllegalStateException("DynamoDB Local rejected the arguments " + args);
      }
      // createServer rather than createServerFromCommandLineArgs: the same server without the banner on stdout.
      DynamoDBProxyServer server = ServerRunner.createServer(input);
      Server jetty = jettyOf(server);
      for (Connector connector : jetty.getConnectors()) {
        if (connector instanceof ServerConnector serverConnector) {
          serverConnector.setHost(HOST);
          serverConnector.setPort(port);
        }
      }
      try {
        // start() would print a bind failure to stderr and return as if started; safeStart() throws it.
        server.safeStart();
      } catch (Exception e) {
        try {
          server.stop();
        } catch (Exception stopFailure) {
          e.addSuppressed(stopFailure);
        }
        throw e;
      }
      int bound = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
      LOG.debug("DynamoDB Local listening on {}:{} ({})", HOST, bound, dataDir.isPresent() ? "file" : "in memory");
      return new DynamoDbLocal(server, bound);
    }

    private static Server jettyOf(DynamoDBProxyServer server) throws ReflectiveOperationException {
      return (Server) field(DynamoDBProxyServer.class, "server").get(server);
    }

    @Override
    public String name() {
      return "DynamoDB Local";
    }

    @Override
    public int port() {
      return port;
    }

    @Override
    public void stop() throws Exception {
      // Stops Jetty, then closes the database and flags its background jobs to end.
      server.stop();
      // Those jobs (TTL deletion, GSI creation, stream shard rollover) run on a non-daemon pool and only look at
      // the flag between sleeps, hours long for the shard rollover: interrupt them, or the JVM cannot exit.
      try {
        interruptBackgroundJobs();
      } catch (ReflectiveOperationException | RuntimeException e) {
        LOG.warn("Could not stop DynamoDB Local's background job threads; they may keep the JVM alive", e);
      }
    }

    private void interruptBackgroundJobs() throws ReflectiveOperationException, InterruptedException {
      Object serverHandler = field(DynamoDBProxyServer.class, "serverHandler").get(server);
      List<Object> requestHandlers = new ArrayList<>();
      requestHandlers.add(field(AbstractLocalDynamoDBServerHandler.class, "primaryHandler").get(serverHandler));
      requestHandlers.addAll(((Map<?, ?>) field(AbstractLocalDynamoDBServerHandler.class, "secondaryHandlers")
          .get(serverHandler)).values());
      long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
      for (Object requestHandler : requestHandlers) {
        if (!(requestHandler instanceof LocalDynamoDBRequestHandler)) {
          continue;
        }
        Map<?, ?> databases = (Map<?, ?>) field(LocalDynamoDBRequestHandler.class, "dbRequestHandlers")
            .get(requestHandler);
        for (Object database : databases.values()) {
          if (!(database instanceof LocalDBClient)) {
            continue;
          }
          JobsRegister jobs = (JobsRegister) field(LocalDBClient.class, "jobs").get(database);
          jobs.shutdownNow();
          ExecutorService pool = (ExecutorService) field(JobsRegister.class, "threadPool").get(jobs);
          if (!pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            LOG.warn("DynamoDB Local's background jobs did not end within {}", STOP_TIMEOUT);
          }
        }
      }
    }

    private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
      Field field = owner.getDeclaredField(name);
      field.setAccessible(true);
      return field;
    }
  }

  // ---------------------------------------------------------------------------------------------- SQS

  /**
   * ElasticMQ assembled by hand (what its own {@code ElasticMQServer} does) so that persisted queues are restored
   * before the port opens, and so that the bound port is known when 0 was asked for.
   */
  private static final class ElasticMq implements Running {

    private final ActorSystem system;
    private final SQSRestServer rest;
    private final Optional<ActorRef> persistence;
    private final int port;

    private ElasticMq(ActorSystem system, SQSRestServer rest, Optional<ActorRef> persistence, int port) {
      this.system = system;
      this.rest = rest;
      this.persistence = persistence;
      this.port = port;
    }

    static Running start(int port, Optional<Path> dataDir) throws Exception {
      ClassLoader loader = LocalAwsServers.class.getClassLoader();
      // ElasticMQ's application.conf sets the slf4j logger; logback filters the rest.
      Config config = ConfigFactory.parseMap(Map.of(
              "pekko.loglevel", "WARNING",
              "pekko.stdout-loglevel", "WARNING",
              "pekko.log-dead-letters", "off",
              "pekko.log-dead-letters-during-shutdown", "off"))
          .withFallback(ConfigFactory.load(loader));
      ActorSystem system = ActorSystem.create("imagery-elasticmq", config, loader);
      boolean poolPrepared = false;
      try {
        Optional<ActorRef> persistence = Optional.empty();
        if (dataDir.isPresent()) {
          Path dir = directory(dataDir.get(), "sqs");
          SqlQueuePersistenceConfig persistenceConfig = new SqlQueuePersistenceConfig(
              true, "org.h2.Driver", "jdbc:h2:file:" + dir.resolve("elasticmq"), "", "", false);
          H2Pool.prepare(persistenceConfig.uri());
          poolPrepared = true;
          persistence = Optional.of(system.actorOf(Props.create(SqlQueuePersistenceActor.class,
              persistenceConfig, List$.MODULE$.empty()), "queue-persistence"));
        }
        Option<ActorRef> listener = Option.apply(persistence.orElse(null));
        ActorRef queueManager = system.actorOf(Props.create(QueueManagerActor.class,
            new NowProvider(), StrictSQSLimits$.MODULE$, listener), "queue-manager");
        if (persistence.isPresent()) {
          restore(persistence.get(), queueManager);
        }

        TheSQSRestServerBuilder builder = SQSRestServerBuilder.withActorSystem(system)
            .withQueueManagerActor(queueManager)
            .withInterface(HOST)
            .withPort(port)
            .withAWSRegion(REGION)
            .withAWSAccountId(ACCOUNT_ID);
        if (persistence.isPresent()) {
          builder = builder.withQueueEventListener(persistence.get());
        }
        SQSRestServer rest = builder.start();
        Http.ServerBinding binding = rest.waitUntilStarted();
        int bound = binding.localAddress().getPort();
        LOG.debug("ElasticMQ listening on {}:{} ({})", HOST, bound, persistence.isPresent() ? "H2" : "in memory");
        return new ElasticMq(system, rest, persistence, bound);
      } catch (Exception | Error e) {
        terminate(system);
        if (poolPrepared) {
          H2Pool.release();
        }
        throw e;
      }
    }

    /** Re-creates the persisted queues with their messages, before any client can see an empty server. */
    private static void restore(ActorRef persistence, ActorRef queueManager) throws Exception {
      Object reply = Patterns.ask(persistence, new QueueEvent.Restore(queueManager), START_TIMEOUT)
          .toCompletableFuture()
          .get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      if (reply instanceof Left<?, ?> errors) {
        throw new IllegalStateException("ElasticMQ could not restore its persisted queues: " + errors.value()
            + " (delete the sqs directory of the data directory to start afresh)");
      }
    }

    @Override
    public String name() {
      return "ElasticMQ";
    }

    @Override
    public int port() {
      return port;
    }

    @Override
    public void stop() throws Exception {
      try {
        rest.stopAndWait();
        if (persistence.isPresent()) {
          // Queued after every pending write, so the last messages reach the database.
          Patterns.gracefulStop(persistence.get(), STOP_TIMEOUT).toCompletableFuture()
              .get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
      } finally {
        terminate(system);
        if (persistence.isPresent()) {
          H2Pool.release();
        }
      }
    }

    private static void terminate(ActorSystem system) {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        LOG.warn("ElasticMQ's actor system did not terminate cleanly", e);
      }
    }
  }

  /**
   * ElasticMQ's SQL persistence opens one JVM-wide connection pool, once: the first database URI wins for the life
   * of the JVM. Closing the pool and clearing that flag on stop lets a later start use another data directory, and
   * releases the H2 file.
   */
  private static final class H2Pool {

    private static String openUri;

    static synchronized void prepare(String uri) {
      if (openUri != null && !openUri.equals(uri)) {
        throw new IllegalStateException("ElasticMQ persistence is already bound to " + openUri
            + " in this JVM; stop that stack first (one persistent ElasticMQ per JVM)");
      }
      openUri = uri;
    }

    static synchronized void release() {
      try {
        Class<?> db = Class.forName("org.elasticmq.persistence.sql.DB$");
        Object module = db.getField("MODULE$").get(null);
        Field initialized = db.getDeclaredField("initialized");
        initialized.setAccessible(true);
        scalikejdbc.ConnectionPool$.MODULE$.closeAll();
        initialized.setBoolean(module, false);
        openUri = null;
      } catch (ReflectiveOperationException | RuntimeException e) {
        // Keep the pool: restarting on the same data directory still works.
        LOG.warn("Could not release ElasticMQ's H2 connection pool; the next start in this JVM reuses it", e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- S3

  /** S3Proxy with a transient (memory) or filesystem blob store, verifying signatures with the fixed keys. */
  private static final class S3ProxyServer implements Running {

    private final S3Proxy proxy;
    private final int port;

    private S3ProxyServer(S3Proxy proxy, int port) {
      this.proxy = proxy;
      this.port = port;
    }

    static Running start(int port, Optional<Path> dataDir) throws Exception {
      Properties properties = new Properties();
      String provider = "transient";
      if (dataDir.isPresent()) {
        provider = "filesystem";
        properties.setProperty("jclouds.filesystem.basedir", directory(dataDir.get(), "s3").toString());
      }
      S3Proxy proxy = S3Proxy.builder()
          .blobStore(BlobStores.create(provider, properties))
          .endpoint(URI.create("http://" + HOST + ":" + port))
          .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY_ID, SECRET_ACCESS_KEY)
          // The SDK's multipart client sends x-amz-mp-object-size, which S3Proxy otherwise answers with 501.
          .ignoreUnknownHeaders(true)
          .build();
      try {
        proxy.start(); // synchronous: Jetty is STARTED or this throws
      } catch (Exception e) {
        try {
          proxy.stop();
        } catch (Exception stopFailure) {
          e.addSuppressed(stopFailure);
        }
        throw e;
      }
      if (!"STARTED".equals(proxy.getState())) {
        proxy.stop();
        throw new IllegalStateException("S3Proxy is " + proxy.getState() + " after start");
      }
      LOG.debug("S3Proxy listening on {}:{} ({} blob store)", HOST, proxy.getPort(), provider);
      return new S3ProxyServer(proxy, proxy.getPort());
    }

    @Override
    public String name() {
      return "S3Proxy";
    }

    @Override
    public int port() {
      return port;
    }

    @Override
    public void stop() throws Exception {
      proxy.stop();
    }
  }
}
