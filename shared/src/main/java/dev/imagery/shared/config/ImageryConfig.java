package dev.imagery.shared.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Everything Imagery reads from its environment, read once at start-up. Every variable is documented in the
 * README's configuration table; names and defaults live here and only here.
 */
public record ImageryConfig(Aws aws, Resources resources, Api api, Worker worker, Management management,
                            Duration shutdownTimeout) {

  /** How to reach AWS (or the emulators) and how long to wait for it. */
  public record Aws(
      String region,
      Optional<URI> dynamoDbEndpoint,
      Optional<URI> sqsEndpoint,
      Optional<URI> s3Endpoint,
      Optional<String> accessKeyId,
      Optional<String> secretAccessKey,
      Duration dynamoDbCallTimeout,
      Duration dynamoDbAttemptTimeout,
      Duration sqsCallTimeout,
      Duration sqsAttemptTimeout,
      Duration s3CallTimeout,
      Duration s3AttemptTimeout,
      int maxConnections,
      int ioThreads,
      Optional<Path> callLog) {
  }

  /**
   * The table, queues and bucket; created on start when {@code createIfMissing}.
   *
   * @param retentionDays how long an image is kept after its creation (its record by the table's TTL, its objects by
   *                      the bucket's lifecycle rules); 0 keeps images until they are deleted
   */
  public record Resources(
      String table,
      String queue,
      String deadLetterQueue,
      String bucket,
      int maxReceiveCount,
      boolean createIfMissing,
      int retentionDays) {

    /** {@link #retentionDays} as a duration; zero when images are kept until deleted. */
    public Duration retention() {
      return Duration.ofDays(retentionDays);
    }
  }

  /** The shortest admin token accepted: 32 characters, e.g. 16 random bytes in hex (128 bits). */
  public static final int MIN_ADMIN_TOKEN_LENGTH = 32;

  /**
   * @param adminToken              the bearer token of the /admin routes, which are off without one
   *                                ({@code IMAGERY_ADMIN_TOKEN} or {@code IMAGERY_ADMIN_TOKEN_FILE}, at least
   *                                {@link #MIN_ADMIN_TOKEN_LENGTH} characters)
   * @param uploadMemoryBudgetBytes what all uploads of one API instance may hold in memory at once (each holds up to
   *                                {@code AwsClients.UPLOAD_BUFFER_BYTES} of parts for S3, less when it is smaller)
   * @param uploadBudgetWait        how long an upload waits for room in that budget before it gets 503
   */
  public record Api(String host, int port, long maxUploadBytes, Optional<String> adminToken,
                    long uploadMemoryBudgetBytes, Duration uploadBudgetWait, Auth auth, CallerLimits callerLimits) {
  }

  /**
   * Who may call the image routes and how they prove it ({@code IMAGERY_AUTH_MODE}). {@code apiKeys} is non-empty
   * exactly in {@link AuthMode#API_KEY}, {@code jwt} present exactly in {@link AuthMode#JWT}.
   */
  public record Auth(AuthMode mode, List<ApiKey> apiKeys, Optional<Jwt> jwt) {
    public Auth {
      apiKeys = List.copyOf(apiKeys);
    }
  }

  public enum AuthMode {
    /** No credentials: every caller is the same one, and can use every image. The local default. */
    NONE("none"),
    /** {@code Authorization: Bearer <key>}, checked against the SHA-256 hashes of {@code IMAGERY_API_KEYS}. */
    API_KEY("api-key"),
    /** {@code Authorization: Bearer <JWT>}, verified against a JWKS; the caller is the token's {@code sub}. */
    JWT("jwt");

    private final String wireName;

    AuthMode(String wireName) {
      this.wireName = wireName;
    }

    public String wireName() {
      return wireName;
    }

    static AuthMode parse(String name, String raw) {
      for (AuthMode mode : values()) {
        if (mode.wireName.equals(raw.toLowerCase(Locale.ROOT))) {
          return mode;
        }
      }
      throw new IllegalArgumentException(name + " must be one of none, api-key, jwt; got '" + raw + "'");
    }
  }

  /**
   * One accepted API key: the caller it names, and the SHA-256 of the key as 64 lower-case hex digits. Only the hash
   * is configured, so a leaked configuration does not leak the keys; listing two hashes for one caller is how a key
   * is rotated.
   */
  public record ApiKey(String caller, String sha256Hex) {
  }

  /**
   * Bearer JWTs: signed by a key of the JWKS at {@code jwksUrl} (fetched at start, again every {@code jwksRefresh}
   * and when a token names a key it does not hold), issued by {@code issuer} for one of {@code audiences}.
   * {@code leeway} is the clock skew allowed on {@code exp}, {@code nbf} and {@code iat}.
   */
  public record Jwt(URI jwksUrl, String issuer, List<String> audiences, Duration jwksRefresh, Duration leeway) {
    public Jwt {
      audiences = List.copyOf(audiences);
    }
  }

  /**
   * Limits per caller, held in memory by each API instance (so per replica): uploads in progress at once, and
   * requests per second (a token bucket of {@code burst} tokens refilled at {@code requestsPerSecond}). 0 turns a
   * limit off. Without authentication the caller is the client's address.
   */
  public record CallerLimits(int maxConcurrentUploads, int requestsPerSecond, int burst) {
    public boolean uploadsLimited() {
      return maxConcurrentUploads > 0;
    }

    public boolean rateLimited() {
      return requestsPerSecond > 0;
    }
  }

  /**
   * @param concurrency the image pool's threads: images decoded, filtered and encoded at once (one a core)
   * @param maxInFlight jobs held at once (messages received and not yet finished): more than the pool's threads, so
   *                    that while some jobs wait on DynamoDB, S3 or SQS others keep the pool busy
   */
  public record Worker(
      int concurrency,
      int maxInFlight,
      int visibilityTimeoutSeconds,
      int receiveWaitSeconds,
      long maxPixels,
      OutputPolicy outputFormat,
      float jpegQuality,
      int thumbnailSize,
      Duration reconcileAfter,
      Duration reconcileInterval,
      Duration faultProcessingDelay,
      long maxDecodedBytes,
      int maxJpegScans,
      Duration jobTimeout,
      Optional<String> faultDecodeHangImageId,
      int maxAttempts,
      int maxRequeues,
      Optional<String> faultTransientImageId,
      long memoryBudgetBytes,
      JpegCodecChoice jpegCodec) {

    /**
     * Two thirds of the heap for the images of all jobs at once ({@code IMAGERY_WORKER_MEMORY_BUDGET_BYTES} unset),
     * the rest for what the estimates leave out (the compressed inputs, results waiting to be stored, the SDK's
     * and Vert.x's buffers); at least one image at the per-image limit, which must always be admitted. On the
     * Kubernetes worker's 1.5 GiB heap that is 1 GiB: two jobs at the 512 MiB limit side by side.
     */
    public static long defaultMemoryBudget(long maxHeapBytes, long maxDecodedBytes) {
      return Math.max(maxHeapBytes / 3 * 2, maxDecodedBytes);
    }

    public boolean reconcilerEnabled() {
      return !reconcileAfter.isZero();
    }

    /**
     * The longest an accepted image can wait in {@code uploaded}, whatever its jobs do to the workers, as long as one
     * worker runs and DynamoDB answers: the reconciler gives up on it at the due point after its last requeue,
     * {@code reconcileAfter x 2^maxRequeues} after the upload, and a pass meets that point within 1.5 intervals
     * (README, "Every accepted image ends"). Empty with the reconciler off: then nothing bounds a lost job.
     */
    public Optional<Duration> waitBound() {
      if (!reconcilerEnabled()) {
        return Optional.empty();
      }
      return Optional.of(reconcileAfter.multipliedBy(1L << maxRequeues).plus(reconcileInterval.multipliedBy(3).dividedBy(2)));
    }

    /** Extend visibility well before it runs out: a third of the timeout leaves two chances to fail. */
    public Duration heartbeatInterval() {
      return Duration.ofMillis(visibilityTimeoutSeconds * 1000L / 3);
    }
  }

  /**
   * The port that no load balancer forwards to: both services' {@code /metrics}, the worker's liveness endpoint, and
   * the API's admin routes (only with an admin token). Bound on the same address as the API.
   * {@code deadLetterPoll}: how often the worker reads the dead-letter queue's depth for its metrics; zero never.
   */
  public record Management(String host, int port, Duration deadLetterPoll) {
  }

  /** Which library decodes and encodes JPEGs. */
  public enum JpegCodecChoice {
    /** TurboJPEG when Debian's libturbojpeg-java is installed, else ImageIO. */
    AUTO,
    /** ImageIO always. */
    IMAGEIO
  }

  /** Which format the sepia result is written in. */
  public enum OutputPolicy {
    /** JPEG for JPEG input (cheap, and what photos are); PNG for PNG, GIF and BMP input (lossless sources). */
    AUTO,
    JPEG,
    PNG
  }

  /** The console's log format; logback reads it (imagery-console.xml), this only checks it. */
  public enum LogFormat {
    JSON,
    TEXT
  }

  public static ImageryConfig fromEnv() {
    return fromEnv(System.getenv());
  }

  public static ImageryConfig fromEnv(Map<String, String> vars) {
    Env env = new Env(vars);
    // Logback chose the format before this runs (and fell back to JSON on a typo); a typo still stops the process.
    env.choice("IMAGERY_LOG_FORMAT", LogFormat.class, LogFormat.JSON);
    int receiveWait = env.integer("IMAGERY_RECEIVE_WAIT_SECONDS", 20, 0, 20);
    Duration sqsAttempt = env.millis("IMAGERY_SQS_ATTEMPT_TIMEOUT_MS", Duration.ofSeconds(receiveWait + 10L));
    if (sqsAttempt.toSeconds() <= receiveWait) {
      throw new IllegalArgumentException("IMAGERY_SQS_ATTEMPT_TIMEOUT_MS (" + sqsAttempt.toMillis()
          + ") must be longer than the SQS long poll IMAGERY_RECEIVE_WAIT_SECONDS (" + receiveWait + " s)");
    }
    Aws aws = new Aws(
        env.optional("AWS_REGION").or(() -> env.optional("AWS_DEFAULT_REGION")).orElse("us-east-1"),
        env.uri("IMAGERY_DYNAMODB_ENDPOINT"),
        env.uri("IMAGERY_SQS_ENDPOINT"),
        env.uri("IMAGERY_S3_ENDPOINT"),
        env.optional("AWS_ACCESS_KEY_ID"),
        env.optional("AWS_SECRET_ACCESS_KEY"),
        env.millis("IMAGERY_DYNAMODB_CALL_TIMEOUT_MS", Duration.ofSeconds(10)),
        env.millis("IMAGERY_DYNAMODB_ATTEMPT_TIMEOUT_MS", Duration.ofSeconds(3)),
        env.millis("IMAGERY_SQS_CALL_TIMEOUT_MS", sqsAttempt.multipliedBy(2)),
        sqsAttempt,
        env.millis("IMAGERY_S3_CALL_TIMEOUT_MS", Duration.ofMinutes(10)),
        env.millis("IMAGERY_S3_ATTEMPT_TIMEOUT_MS", Duration.ofMinutes(2)),
        env.integer("IMAGERY_AWS_MAX_CONNECTIONS", 100, 1, 10_000),
        env.integer("IMAGERY_AWS_IO_THREADS", 2, 1, 64),
        // Audit/test knob: every distinct AWS operation this process calls, appended to this file.
        env.optional("IMAGERY_AWS_CALL_LOG").map(Path::of));
    Resources resources = new Resources(
        env.string("IMAGERY_TABLE", "imagery-images"),
        env.string("IMAGERY_QUEUE", "imagery-jobs"),
        env.string("IMAGERY_DEAD_LETTER_QUEUE", "imagery-jobs-dlq"),
        env.string("IMAGERY_BUCKET", "imagery-images"),
        env.integer("IMAGERY_MAX_RECEIVE_COUNT", 5, 1, 1000),
        env.bool("IMAGERY_CREATE_RESOURCES", false),
        // 0: kept until deleted. S3 lifecycle rules count whole days; 100 years is the ceiling.
        env.integer("IMAGERY_RETENTION_DAYS", 0, 0, 36_500));
    Api api = new Api(
        env.string("IMAGERY_HOST", "0.0.0.0"),
        env.integer("PORT", 8080, 0, 65535),
        env.longValue("IMAGERY_MAX_UPLOAD_BYTES", 50L * 1024 * 1024, 1, Long.MAX_VALUE),
        // From the environment or a mounted secret file; a short token is refused at start.
        env.secret("IMAGERY_ADMIN_TOKEN", MIN_ADMIN_TOKEN_LENGTH),
        // Five uploads' worth of S3 parts (3 x 5 MiB each): the target of 64 MiB over one upload's own use.
        env.longValue("IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES", 80L * 1024 * 1024, 16L * 1024 * 1024, 1L << 40),
        env.millis("IMAGERY_UPLOAD_BUDGET_WAIT_MS", Duration.ofSeconds(2)),
        AuthEnv.auth(env),
        AuthEnv.callerLimits(env));
    long maxDecodedBytes = env.longValue("IMAGERY_MAX_DECODED_BYTES", 512L * 1024 * 1024, 1024 * 1024,
        64L * 1024 * 1024 * 1024);
    int concurrency = env.integer("IMAGERY_WORKER_CONCURRENCY", Runtime.getRuntime().availableProcessors(), 1, 256);
    // A job spends about as long waiting on AWS (seven calls) as on the CPU, more on a fast CPU: four jobs a thread
    // keep the pool busy (docs/benchmarks.md, the whole worker against its pipeline).
    int maxInFlight = env.integer("IMAGERY_WORKER_MAX_IN_FLIGHT", 4 * concurrency, 1, 1024);
    if (maxInFlight < concurrency) {
      throw new IllegalArgumentException("IMAGERY_WORKER_MAX_IN_FLIGHT (" + maxInFlight + ") must be at least"
          + " IMAGERY_WORKER_CONCURRENCY (" + concurrency + "): a thread of the image pool needs a job to run");
    }
    Worker worker = new Worker(
        concurrency,
        maxInFlight,
        env.integer("IMAGERY_VISIBILITY_TIMEOUT_SECONDS", 60, 3, 43_200),
        receiveWait,
        env.longValue("IMAGERY_MAX_PIXELS", 50_000_000L, 1, 1_000_000_000L),
        env.choice("IMAGERY_OUTPUT_FORMAT", OutputPolicy.class, OutputPolicy.AUTO),
        env.decimal("IMAGERY_JPEG_QUALITY", 0.85f, 0.05f, 1.0f),
        env.integer("IMAGERY_THUMBNAIL_SIZE", 256, 16, 4096),
        Duration.ofSeconds(env.integer("IMAGERY_RECONCILE_AFTER_SECONDS", 300, 0, 86_400)),
        Duration.ofSeconds(env.integer("IMAGERY_RECONCILE_INTERVAL_SECONDS", 60, 1, 86_400)),
        // Fault injection for tests (a slow image): never set in production.
        env.millis0("IMAGERY_FAULT_PROCESSING_DELAY_MS"),
        // Memory one image may take to decode and process (the worker's DecodeLimits explains the default).
        maxDecodedBytes,
        // Scans of a progressive JPEG: each one is another pass of libjpeg over the whole image.
        env.integer("IMAGERY_MAX_JPEG_SCANS", 100, 1, 100_000),
        // One job's bound (README: under the liveness stall bound, over any real image by far).
        Duration.ofSeconds(env.integer("IMAGERY_JOB_TIMEOUT_SECONDS", 120, 1, 3600)),
        // Fault injection for tests (a decode that hangs until the deadline aborts it): never set in production.
        env.optional("IMAGERY_FAULT_DECODE_HANG_IMAGE_ID"),
        // Attempts whose worker died (crashed, ran out of memory, was killed) before an image ends failed.
        env.integer("IMAGERY_MAX_ATTEMPTS", 3, 1, 100),
        // Requeues by the reconciler (at 1, 2, 4... x IMAGERY_RECONCILE_AFTER_SECONDS) before it gives up on an image.
        env.integer("IMAGERY_MAX_REQUEUES", 3, 0, 20),
        // Fault injection for tests (a job that fails transiently on every receive): never set in production.
        env.optional("IMAGERY_FAULT_TRANSIENT_IMAGE_ID"),
        // What the images of all running jobs may hold at once; less than one image at the limit is allowed (such
        // images then run alone), more than the heap too (the worker warns at start).
        env.longValue("IMAGERY_WORKER_MEMORY_BUDGET_BYTES",
            Worker.defaultMemoryBudget(Runtime.getRuntime().maxMemory(), maxDecodedBytes),
            16L * 1024 * 1024, 1024L * 1024 * 1024 * 1024),
        // TurboJPEG where Debian's libturbojpeg-java is installed (the container images), else ImageIO.
        env.choice("IMAGERY_JPEG_CODEC", JpegCodecChoice.class, JpegCodecChoice.AUTO));
    Management management = new Management(api.host(), env.integer("IMAGERY_MANAGEMENT_PORT", 8081, 0, 65535),
        Duration.ofSeconds(env.integer("IMAGERY_DEAD_LETTER_POLL_SECONDS", 60, 0, 3600)));
    // The worker finishes the jobs it holds on SIGTERM: give it what the orchestrator gives the pod, less a margin.
    Duration shutdown = Duration.ofSeconds(env.integer("IMAGERY_SHUTDOWN_TIMEOUT_SECONDS", 30, 1, 3600));
    return new ImageryConfig(aws, resources, api, worker, management, shutdown);
  }
}
