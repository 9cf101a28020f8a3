package dev.imagery.shared.aws;

import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.metrics.AwsCallMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsAsyncClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * The async DynamoDB, SQS and S3 clients of one process, over one Netty HTTP client with its own small event
 * loop group (Vert.x 5's event loops are Netty 4.2 groups the SDK does not accept, and must not be blocked by it).
 * Endpoints are overridden only when configured, so the same jar runs against real AWS.
 */
public final class AwsClients implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AwsClients.class);

  /** Part size of streamed S3 uploads (the S3 minimum): memory held per upload is a few parts, whatever its size. */
  public static final long PART_SIZE_BYTES = 5L * 1024 * 1024;

  /**
   * Memory the SDK may buffer per streamed upload. With an unknown length a part is passed on only once complete,
   * so part 1 and a full part 2 must fit with room to spare: at exactly 2 parts (the SDK's own minimum) the
   * splitter stops asking for bytes just before part 2 completes, and the upload stalls for good.
   */
  public static final long UPLOAD_BUFFER_BYTES = 3 * PART_SIZE_BYTES;

  private final SdkAsyncHttpClient http;
  private final AwsCredentialsProvider credentials;
  private final DynamoDbAsyncClient dynamoDb;
  private final SqsAsyncClient sqs;
  private final S3AsyncClient s3;
  private final S3AsyncClient s3Uploads;

  private AwsClients(SdkAsyncHttpClient http, AwsCredentialsProvider credentials, DynamoDbAsyncClient dynamoDb,
                     SqsAsyncClient sqs, S3AsyncClient s3, S3AsyncClient s3Uploads) {
    this.http = http;
    this.credentials = credentials;
    this.dynamoDb = dynamoDb;
    this.sqs = sqs;
    this.s3 = s3;
    this.s3Uploads = s3Uploads;
  }

  /**
   * The clients of one service. {@code caller} names it in the AWS call log ({@code IMAGERY_AWS_CALL_LOG}), which
   * is why each service gets clients of its own even where two share a JVM. Their calls are not measured: for
   * tools and the tests' own looks at the backend.
   */
  public static AwsClients create(ImageryConfig config, String caller) {
    return create(config, caller, Optional.empty());
  }

  /** The clients of a service whose calls are measured into {@code metrics} ({@link AwsCallMetrics}). */
  public static AwsClients create(ImageryConfig config, String caller, MeterRegistry metrics) {
    return create(config, caller, Optional.of(metrics));
  }

  private static AwsClients create(ImageryConfig config, String caller, Optional<MeterRegistry> metrics) {
    ImageryConfig.Aws aws = config.aws();
    List<ExecutionInterceptor> interceptors = aws.callLog()
        .<ExecutionInterceptor>map(file -> new AwsCallLog(caller, config.resources(), file))
        .map(List::of)
        .orElse(List.of());
    List<MetricPublisher> publishers = metrics.<MetricPublisher>map(AwsCallMetrics::new).map(List::of)
        .orElse(List.of());
    Overrides overrides = new Overrides(interceptors, publishers);
    SdkAsyncHttpClient http = NettyNioAsyncHttpClient.builder()
        .eventLoopGroupBuilder(SdkEventLoopGroup.builder().numberOfThreads(aws.ioThreads()))
        .maxConcurrency(aws.maxConnections())
        .connectionTimeout(Duration.ofSeconds(2))
        .connectionAcquisitionTimeout(Duration.ofSeconds(10))
        // Longer than the SQS long poll, which keeps a response silent for up to 20 s.
        .readTimeout(Duration.ofSeconds(60))
        .writeTimeout(Duration.ofSeconds(60))
        .build();
    AwsCredentialsProvider credentials = credentials(aws);
    Region region = Region.of(aws.region());

    DynamoDbAsyncClient dynamoDb = configure(DynamoDbAsyncClient.builder(), http, credentials, region,
        aws.dynamoDbEndpoint(), aws.dynamoDbCallTimeout(), aws.dynamoDbAttemptTimeout(), overrides).build();
    SqsAsyncClient sqs = configure(SqsAsyncClient.builder(), http, credentials, region,
        aws.sqsEndpoint(), aws.sqsCallTimeout(), aws.sqsAttemptTimeout(), overrides).build();
    S3AsyncClient s3 = configure(S3AsyncClient.builder(), http, credentials, region,
        aws.s3Endpoint(), aws.s3CallTimeout(), aws.s3AttemptTimeout(), overrides)
        // Emulators answer on one host name; real S3 keeps virtual-hosted style.
        .forcePathStyle(aws.s3Endpoint().isPresent())
        .build();
    S3AsyncClient s3Uploads = configure(S3AsyncClient.builder(), http, credentials, region,
        aws.s3Endpoint(), aws.s3CallTimeout(), aws.s3AttemptTimeout(), overrides)
        .forcePathStyle(aws.s3Endpoint().isPresent())
        // Uploads stream with an unknown length, which only the multipart client accepts.
        .multipartEnabled(true)
        .multipartConfiguration(MultipartConfiguration.builder()
            .minimumPartSizeInBytes(PART_SIZE_BYTES)
            .thresholdInBytes(PART_SIZE_BYTES)
            .apiCallBufferSizeInBytes(UPLOAD_BUFFER_BYTES)
            .build())
        .build();
    return new AwsClients(http, credentials, dynamoDb, sqs, s3, s3Uploads);
  }

  /**
   * Static keys when both are configured, otherwise the default chain. The chain refreshes its expiring credentials
   * (container, web identity, instance profile) on an SDK background thread ahead of expiry, so a request signed on
   * a Vert.x event loop reads the cached value instead of waiting there for the credentials endpoint. The SDK still
   * fetches on the caller's thread when nothing usable is cached: the first resolution of a provider, and one after
   * the cached credentials went stale because every background refresh failed.
   */
  static AwsCredentialsProvider credentials(ImageryConfig.Aws aws) {
    if (aws.accessKeyId().isPresent() && aws.secretAccessKey().isPresent()) {
      return StaticCredentialsProvider.create(
          AwsBasicCredentials.create(aws.accessKeyId().get(), aws.secretAccessKey().get()));
    }
    // Task roles on ECS, IRSA on Kubernetes, profiles on a laptop.
    return DefaultCredentialsProvider.builder().asyncCredentialUpdateEnabled(true).build();
  }

  private static <B extends AwsAsyncClientBuilder<B, ?> & software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, ?>> B configure(
      B builder, SdkAsyncHttpClient http, AwsCredentialsProvider credentials, Region region,
      Optional<URI> endpoint, Duration callTimeout, Duration attemptTimeout, Overrides overrides) {
    builder.httpClient(http)
        .credentialsProvider(credentials)
        .region(region)
        .overrideConfiguration(ClientOverrideConfiguration.builder()
            .apiCallTimeout(callTimeout)
            .apiCallAttemptTimeout(attemptTimeout)
            .retryStrategy(RetryMode.STANDARD)
            .executionInterceptors(overrides.interceptors())
            .metricPublishers(overrides.publishers())
            .build());
    endpoint.ifPresent(builder::endpointOverride);
    return builder;
  }

  /** What every client of one service shares: the call log, and the publisher of its call metrics. */
  private record Overrides(List<ExecutionInterceptor> interceptors, List<MetricPublisher> publishers) {
  }

  /**
   * Fetches the credentials once, on the calling thread, so that the first AWS call of a service (made on an event
   * loop) finds them cached: the chain fetches on the caller's thread while it has nothing cached, and refreshes in
   * the background after that. Called by the launcher on its main thread. A failure is logged, not fatal: the SDK
   * tries again on the first call, and that call's error says what is missing.
   */
  public void warmUpCredentials() {
    try {
      credentials.resolveCredentials();
    } catch (RuntimeException e) {
      LOG.warn("no AWS credentials yet ({}); the first AWS call will look again", e.toString());
    }
  }

  public DynamoDbAsyncClient dynamoDb() {
    return dynamoDb;
  }

  public SqsAsyncClient sqs() {
    return sqs;
  }

  /** For gets, deletes and puts of known length. Downloads stay single requests, which every S3 emulator serves. */
  public S3AsyncClient s3() {
    return s3;
  }

  /** For bodies of unknown length, uploaded in parts of {@link #PART_SIZE_BYTES}. */
  public S3AsyncClient s3Uploads() {
    return s3Uploads;
  }

  @Override
  public void close() {
    dynamoDb.close();
    sqs.close();
    s3.close();
    s3Uploads.close();
    // Passed in by us, so the SDK clients leave them open; closing the chain cancels its scheduled refresh.
    http.close();
    if (credentials instanceof SdkAutoCloseable closeable) {
      closeable.close();
    }
  }
}
