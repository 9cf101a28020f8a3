package dev.imagery.local.bench;

import dev.imagery.local.testing.Poll;

import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.ImageRecord;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

/**
 * {@code bench/api-rate.sh}: create+get pairs per second through the API ({@code POST /image}, then
 * {@code GET /image/{id}}) against the same DynamoDB operations sent straight to the same DynamoDB Local with the SDK
 * (the conditional PutItem of {@code ImageStore.create}, the consistent GetItem of {@code ImageStore.get}, each item
 * built and parsed by {@link ImageRecord}), from one client JVM, at the same concurrency, in alternating rounds;
 * then the latency of a pair at 70% of the raw rate, arriving at a constant rate, through both.
 *
 * <p>The API side is driven by Vert.x's own HTTP client, the DynamoDB side by the SDK client the services use
 * ({@link AwsClients}: same Netty client, same connection limit). Both are asynchronous, so one small JVM holds the
 * concurrency without a thread per user, and the client costs the 2 shared cores as little as it can.
 *
 * <pre>
 * ApiRateBench BASE_URL [CONCURRENCY=20] [ROUNDS=5] [ROUND_SECONDS=15] [OPEN_SECONDS=30] [WARM_UP_SECONDS=60]
 * </pre>
 * The warm-up is long because the API's JIT keeps finding work for a minute: measured from a 15 s warm-up, the API's
 * CPU per pair fell from 1.8 ms in the first round to 0.65 ms in the third.
 * The DynamoDB endpoint, table and credentials come from the environment ({@link ImageryConfig#fromEnv()}).
 */
public final class ApiRateBench {

  private static final long ROUND_WARM_UP_SECONDS = 3;
  private static final int MAX_IN_FLIGHT = 256;

  private ApiRateBench() {
  }

  /** One measured window: completed pairs per second, pair latency, failures, arrivals that found no room. */
  record Result(double rate, double p50Ms, double p99Ms, long errors, long dropped, String cpu) {
    @Override
    public String toString() {
      return String.format("%6.0f pairs/s, p50 %6.1f ms, p99 %6.1f ms, %d errors%s", rate, p50Ms, p99Ms, errors,
          dropped > 0 ? ", " + dropped + " arrivals dropped (" + MAX_IN_FLIGHT + " in flight)" : "");
    }
  }

  private static final ProcessCpu CPU = new ProcessCpu();

  public static void main(String[] args) throws Exception {
    URI base = URI.create(args[0]);
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    long roundSeconds = args.length > 3 ? Long.parseLong(args[3]) : 15;
    long openSeconds = args.length > 4 ? Long.parseLong(args[4]) : 30;
    long warmUpSeconds = args.length > 5 ? Long.parseLong(args[5]) : 60;
    ImageryConfig config = ImageryConfig.fromEnv();
    Vertx vertx = Vertx.vertx();
    try (AwsClients aws = AwsClients.create(config, "bench-api-rate")) {
      aws.warmUpCredentials();
      HttpClientAgent http = vertx.createHttpClient(new HttpClientOptions()
              .setDefaultHost(base.getHost()).setDefaultPort(base.getPort()).setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(MAX_IN_FLIGHT));
      Supplier<CompletableFuture<Void>> api = () -> apiPair(http);
      Supplier<CompletableFuture<Void>> raw = () -> dynamoDbPair(aws.dynamoDb(), config.resources().table());

      System.out.printf("warm-up: %d s of each at concurrency %d%n", warmUpSeconds, concurrency);
      System.out.printf("  API %s%n", closedLoop(api, concurrency, 0, warmUpSeconds));
      System.out.printf("  DynamoDB direct %s%n", closedLoop(raw, concurrency, 0, warmUpSeconds));
      List<Double> apiRates = new ArrayList<>();
      List<Double> rawRates = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        Result viaApi = closedLoop(api, concurrency, ROUND_WARM_UP_SECONDS, roundSeconds);
        Result direct = closedLoop(raw, concurrency, ROUND_WARM_UP_SECONDS, roundSeconds);
        apiRates.add(viaApi.rate());
        rawRates.add(direct.rate());
        System.out.printf("round %d, concurrency %d, %d s each: API %s | DynamoDB direct %s | load %s%n", round,
            concurrency, roundSeconds, viaApi, direct, Load.now());
        System.out.printf("  API: %s%n  DynamoDB direct: %s%n", viaApi.cpu(), direct.cpu());
      }
      double apiRate = median(apiRates);
      double rawRate = median(rawRates);
      System.out.printf("median: API %.0f pairs/s, DynamoDB direct %.0f pairs/s: ratio %.2fx (target >= 0.8x)%n",
          apiRate, rawRate, apiRate / rawRate);

      double rate = Math.floor(0.7 * rawRate);
      Result openApi = openLoop(api, rate, ROUND_WARM_UP_SECONDS, openSeconds);
      Result openRaw = openLoop(raw, rate, ROUND_WARM_UP_SECONDS, openSeconds);
      System.out.printf("at a constant %.0f pairs/s (70%% of the direct rate), %d s each:%n  API             %s%n"
          + "    %s%n  DynamoDB direct %s%n    %s%n  load %s%n", rate, openSeconds, openApi, openApi.cpu(), openRaw,
          openRaw.cpu(), Load.now());
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** {@code POST /image} (201 with the new record), then {@code GET /image/{id}} (200 with it). */
  static CompletableFuture<Void> apiPair(HttpClientAgent http) {
    return http.request(HttpMethod.POST, "/image")
        .compose(HttpClientRequest::send)
        .compose(response -> body(response, 201))
        .compose(created -> http.request(HttpMethod.GET, "/image/" + created.getString("id")))
        .compose(HttpClientRequest::send)
        .compose(response -> body(response, 200))
        .<Void>mapEmpty()
        .toCompletionStage().toCompletableFuture();
  }

  private static io.vertx.core.Future<JsonObject> body(HttpClientResponse response, int expected) {
    return response.body().map(bytes -> {
      if (response.statusCode() != expected) {
        throw new IllegalStateException(response.request().getURI() + " answered " + response.statusCode());
      }
      return new JsonObject(bytes);
    });
  }

  /** What the API sends DynamoDB for the same pair: {@code ImageStore.create}, then {@code ImageStore.get}. */
  static CompletableFuture<Void> dynamoDbPair(DynamoDbAsyncClient dynamoDb, String table) {
    String id = UUID.randomUUID().toString();
    return dynamoDb.putItem(PutItemRequest.builder()
            .tableName(table)
            .item(ImageRecord.created(id, Instant.now()).toItem())
            .conditionExpression("attribute_not_exists(id)")
            .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
            .build())
        .thenCompose(put -> dynamoDb.getItem(GetItemRequest.builder()
            .tableName(table)
            .key(Map.of("id", AttributeValue.fromS(id)))
            .consistentRead(true)
            .build()))
        .thenAccept(got -> {
          if (!got.hasItem() || got.item().isEmpty()) {
            throw new IllegalStateException("GetItem found nothing for " + id);
          }
          ImageRecord.fromItem(got.item());
        });
  }

  /**
   * {@code concurrency} users, each starting its next pair when its last one ended, for {@code warmUp} + {@code window}
   * seconds; the window's completions count.
   */
  static Result closedLoop(Supplier<CompletableFuture<Void>> pair, int concurrency, long warmUpSeconds,
                           long windowSeconds) throws InterruptedException {
    long windowStart = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmUpSeconds);
    long windowEnd = windowStart + TimeUnit.SECONDS.toNanos(windowSeconds);
    Window window = new Window(windowStart, windowEnd);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger users = new AtomicInteger(concurrency);
    for (int i = 0; i < concurrency; i++) {
      user(pair, running, window, users);
    }
    sleepUntil(windowStart);
    Map<String, Double> cpuBefore = CPU.snapshot();
    sleepUntil(windowEnd);
    Map<String, Double> cpuAfter = CPU.snapshot();
    running.set(false);
    window.awaitQuiet(users::get);
    return window.result(windowSeconds, 0, cpuBefore, cpuAfter);
  }

  private static void user(Supplier<CompletableFuture<Void>> pair, AtomicBoolean running, Window window,
                           AtomicInteger users) {
    if (!running.get()) {
      users.decrementAndGet();
      return;
    }
    long started = System.nanoTime();
    // Async: the next pair starts from the callback of this one, on the client's threads.
    CompletableFuture.completedFuture(null).thenComposeAsync(v -> pair.get())
        .whenComplete((v, err) -> {
          window.record(started, System.nanoTime(), err);
          user(pair, running, window, users);
        });
  }

  /**
   * Pairs arriving at {@code rate} per second whatever the answers (at most {@link #MAX_IN_FLIGHT} at once), each
   * timed from when it was due, so that a stall counts in full; the pairs due in the window count.
   */
  static Result openLoop(Supplier<CompletableFuture<Void>> pair, double rate, long warmUpSeconds, long windowSeconds)
      throws InterruptedException {
    long start = System.nanoTime();
    long windowStart = start + TimeUnit.SECONDS.toNanos(warmUpSeconds);
    long windowEnd = windowStart + TimeUnit.SECONDS.toNanos(windowSeconds);
    Window window = new Window(windowStart, windowEnd);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicLong dropped = new AtomicLong();
    double intervalNanos = 1e9 / rate;
    Map<String, Double> cpuBefore = null;
    for (long n = 0; ; n++) {
      long due = start + (long) (n * intervalNanos);
      if (due >= windowEnd) {
        break;
      }
      if (cpuBefore == null && due >= windowStart) {
        cpuBefore = CPU.snapshot();
      }
      while (System.nanoTime() < due) {
        LockSupport.parkNanos(Math.min(200_000, due - System.nanoTime()));
      }
      if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
        inFlight.decrementAndGet();
        if (due >= windowStart) {
          dropped.incrementAndGet();
        }
        continue;
      }
      pair.get().whenComplete((v, err) -> {
        inFlight.decrementAndGet();
        window.recordDue(due, System.nanoTime(), err);
      });
    }
    Map<String, Double> cpuAfter = CPU.snapshot();
    window.awaitQuiet(inFlight::get);
    return window.result(windowSeconds, dropped.get(), cpuBefore, cpuAfter);
  }

  /** The samples of one measured window. */
  private static final class Window {
    private final long start;
    private final long end;
    private final Latencies latencies = new Latencies();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();

    Window(long start, long end) {
      this.start = start;
      this.end = end;
    }

    /** Closed loop: a pair counts when it ended inside the window. */
    void record(long started, long ended, Throwable err) {
      if (ended >= start && ended <= end) {
        count(started, ended, err);
      }
    }

    /** Open loop: a pair counts when it was due inside the window, however late it ended. */
    void recordDue(long due, long ended, Throwable err) {
      if (due >= start && due < end) {
        count(due, ended, err);
      }
    }

    private void count(long from, long to, Throwable err) {
      if (err != null) {
        if (errors.incrementAndGet() <= 3) {
          System.out.println("error: " + err);
        }
        return;
      }
      completed.incrementAndGet();
      latencies.add((to - from) / 1_000);
    }

    /** Until the requests in flight have ended, or 30 s: the round's figures are then taken (the last value is fine). */
    void awaitQuiet(Supplier<Integer> busy) {
      Poll.lastUntil(Duration.ofSeconds(30), Duration.ofMillis(20), busy, inFlight -> inFlight == 0);
    }

    Result result(long windowSeconds, long dropped, Map<String, Double> cpuBefore, Map<String, Double> cpuAfter) {
      return new Result(completed.get() / (double) windowSeconds, latencies.percentileMs(50),
          latencies.percentileMs(99), errors.get(), dropped,
          ProcessCpu.perUnit(cpuBefore, cpuAfter, completed.get(), "pair"));
    }
  }

  /** The open-model pacing: waits until the next send is due (a deadline, not a guessed pause). */
  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
