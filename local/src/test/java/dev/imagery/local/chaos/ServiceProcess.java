package dev.imagery.local.chaos;

import dev.imagery.local.testing.Poll;
import dev.imagery.local.testing.Scrape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Imagery service (API or worker) running as its own JVM, as in production: configured only by environment
 * variables, its output in a log file. It can be killed with SIGKILL ({@link #kill9()}), stopped with SIGTERM
 * ({@link #stopGracefully(Duration)}), and started again with the same settings ({@link #restart(Path)}).
 *
 * <p>Every process started is tracked: {@link #killAll()} (called by {@link ChaosStack#close()}) and a JVM shutdown
 * hook kill whatever is still alive, so a failing or interrupted test leaks no process.
 */
final class ServiceProcess implements AutoCloseable {

  /** Which main class to run. */
  enum Kind {
    API("dev.imagery.api.ApiMain"),
    WORKER("dev.imagery.worker.WorkerMain");

    final String mainClass;

    Kind(String mainClass) {
      this.mainClass = mainClass;
    }
  }

  /**
   * Everything needed to start (and start again) one service. {@code jvmOptions} come after the defaults below, so
   * they win (a later {@code -Xmx} replaces the default one).
   */
  record Spec(Kind kind, String name, OptionalInt port, Map<String, String> env, Path logbackConfig,
              List<String> jvmOptions) {

    Spec(Kind kind, String name, OptionalInt port, Map<String, String> env, Path logbackConfig) {
      this(kind, name, port, env, logbackConfig, List.of());
    }
  }

  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ServiceProcess::killAll, "chaos-process-reaper"));
  }

  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1)
      .build();

  private final Spec spec;
  private final Process process;
  private final Path log;
  /** The log rendered as text so far ({@link #logText()}), and how many of its bytes that covers. */
  private final StringBuilder rendered = new StringBuilder();
  private long renderedBytes;

  private ServiceProcess(Spec spec, Process process, Path log) {
    this.spec = spec;
    this.process = process;
    this.log = log;
  }

  /** Starts the service; returns at once (see {@link #awaitReady(Duration)}). */
  static ServiceProcess start(Spec spec, Path log) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m",
        // Four service JVMs, the emulators and the tests share two cores: one GC thread, no C2 compile storms.
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        "-Dlogback.configurationFile=" + spec.logbackConfig().toAbsolutePath()));
    command.addAll(spec.jvmOptions());
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), spec.kind().mainClass));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    Map<String, String> env = builder.environment();
    // Nothing of the test JVM's own environment may configure the service: only what the test says.
    env.keySet().removeIf(name -> name.startsWith("IMAGERY_") || name.startsWith("AWS_") || name.equals("PORT")
        || name.equals("LOG_LEVEL") || name.equals("JAVA_TOOL_OPTIONS"));
    env.putAll(spec.env());
    spec.port().ifPresent(port -> env.put("PORT", Integer.toString(port)));
    try {
      Files.createDirectories(log.getParent());
      Process process = builder.start();
      LIVE.add(process);
      process.onExit().thenRun(() -> LIVE.remove(process));
      return new ServiceProcess(spec, process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + spec.name(), e);
    }
  }

  /** A new process with the same settings (and port), logging to {@code log}; this one must be dead. */
  ServiceProcess restart(Path log) {
    if (process.isAlive()) {
      throw new IllegalStateException(spec.name() + " is still running");
    }
    return start(spec, log);
  }

  String name() {
    return spec.name();
  }

  Kind kind() {
    return spec.kind();
  }

  int port() {
    return spec.port().orElseThrow(() -> new IllegalStateException(spec.name() + " has no port"));
  }

  /** The management port (/metrics; the worker's liveness), fixed by the spec so that a restart keeps it. */
  int managementPort() {
    String port = spec.env().get("IMAGERY_MANAGEMENT_PORT");
    if (port == null || port.equals("0")) {
      throw new IllegalStateException(spec.name() + " has no fixed management port");
    }
    return Integer.parseInt(port);
  }

  /** {@code GET /metrics} on the management port, parsed; fails if it does not answer 200 in the text format. */
  Scrape metrics() {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + managementPort() + "/metrics"))
          .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      String type = response.headers().firstValue("Content-Type").orElse("");
      if (response.statusCode() != 200 || !type.startsWith("text/plain; version=0.0.4")) {
        throw new AssertionError(spec.name() + " /metrics answered " + response.statusCode() + " " + type);
      }
      return Scrape.parse(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(spec.name() + " /metrics did not answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** API: {@code GET /health/ready} answers 200. Worker: it logged "worker polling". Fails fast if it died. */
  ServiceProcess awaitReady(Duration timeout) {
    if (spec.kind() == Kind.API) {
      Poll.await(spec.name() + " to be ready on port " + port(), timeout, () -> {
        requireAlive();
        return readyStatus() == 200;
      });
    } else {
      awaitLog(Pattern.compile("worker polling"), timeout);
    }
    return this;
  }

  /** The first match of {@code pattern} in the log, waiting for it; fails fast if the process exits first. */
  Matcher awaitLog(Pattern pattern, Duration timeout) {
    Poll.await(spec.name() + " to log /" + pattern + "/", timeout, () -> {
      if (pattern.matcher(logText()).find()) {
        return true;
      }
      requireAlive();
      return false;
    });
    Matcher matcher = pattern.matcher(logText());
    matcher.find();
    return matcher;
  }

  /**
   * The log as text: each JSON line (the services' format) rendered as the text format renders it, {@code time level
   * [thread] logger trace=… - message} and its stack trace, so that tests match the words of the messages; any other
   * line (the JVM's own, say) as it is. Rendered once per line, as the file grows.
   */
  synchronized String logText() {
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      file.seek(renderedBytes);
      byte[] added = new byte[(int) Math.max(0, file.length() - renderedBytes)];
      file.readFully(added);
      int end = added.length;
      while (end > 0 && added[end - 1] != '\n') {
        end--;
      }
      // Lenient decoding: a line may be half written; it stays unrendered until it ends.
      for (String line : new String(added, 0, end, StandardCharsets.UTF_8).split("\n", -1)) {
        if (!line.isEmpty()) {
          LogLines.render(line, rendered);
        }
      }
      renderedBytes += end;
      return rendered + new String(added, end, added.length - end, StandardCharsets.UTF_8);
    } catch (java.io.FileNotFoundException e) {
      return "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The log's JSON lines as objects (lines that are not JSON, and a line half written, left out). */
  List<JsonNode> logEvents() {
    try {
      return LogLines.events(Files.readAllLines(log, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<String> logLines(Pattern pattern) {
    return logText().lines().filter(line -> pattern.matcher(line).find()).toList();
  }

  /** SIGKILL (on Linux, {@link Process#destroyForcibly()}), and waits until the process is gone. */
  void kill9() {
    process.destroyForcibly();
    awaitExit(EXIT_TIMEOUT);
  }

  /**
   * SIGTERM, as an orchestrator stops a pod; waits up to {@code timeout} for the process to exit and returns its exit
   * code. If it is still running then, it is killed and the test fails.
   */
  int stopGracefully(Duration timeout) {
    process.destroy();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill9();
        throw new AssertionError(spec.name() + " did not exit within " + timeout + " of SIGTERM; killed it");
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill9();
      throw new IllegalStateException(e);
    }
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill9();
    }
  }

  /** Kills every service process this JVM started that is still alive. */
  static void killAll() {
    for (Process process : new ArrayList<>(LIVE)) {
      process.destroyForcibly();
    }
    for (Process process : new ArrayList<>(LIVE)) {
      try {
        process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  /**
   * A port of 127.0.0.1 free now, that no other call hands out, and below the kernel's ephemeral range: a service
   * restarted on it must find it free, and while it is down the port of an outgoing connection (hundreds of the
   * client's refused connects among them) is never picked from outside that range.
   */
  static int freePort() {
    int below = ephemeralRangeStart();
    for (int attempt = 0; attempt < 200 && below > 11_000; attempt++) {
      int candidate = java.util.concurrent.ThreadLocalRandom.current().nextInt(10_000, below);
      if (!HANDED_OUT.contains(candidate) && bindable(candidate) && HANDED_OUT.add(candidate)) {
        return candidate;
      }
    }
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      HANDED_OUT.add(socket.getLocalPort());
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The first port the kernel hands out for outgoing connections (Linux), else 0 (use any free port). */
  private static int ephemeralRangeStart() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      return Integer.parseInt(range.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** Environment plus overrides, as a new map. */
  static Map<String, String> merge(Map<String, String> base, Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>(base);
    merged.putAll(overrides);
    return merged;
  }

  private void awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(spec.name() + " (pid " + process.pid() + ") still alive " + timeout + " after SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void requireAlive() {
    if (!process.isAlive()) {
      throw new AssertionError(spec.name() + " exited with status " + process.exitValue() + "; its log (" + log
          + ") ends with:\n" + tail(40));
    }
  }

  String tail(int lines) {
    List<String> all = logText().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  private int readyStatus() {
    try {
      HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port() + "/health/ready"))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding());
      return response.statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return spec.name() + " (pid " + process.pid() + (process.isAlive() ? "" : ", exited") + ")";
  }
}
