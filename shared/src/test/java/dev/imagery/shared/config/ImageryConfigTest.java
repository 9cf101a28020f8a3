package dev.imagery.shared.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageryConfigTest {

  @Test
  void defaultsTargetRealAwsWithoutOverrides() {
    ImageryConfig config = ImageryConfig.fromEnv(Map.of());

    assertThat(config.aws().dynamoDbEndpoint()).isEmpty();
    assertThat(config.aws().s3Endpoint()).isEmpty();
    assertThat(config.aws().region()).isEqualTo("us-east-1");
    assertThat(config.api().port()).isEqualTo(8080);
    assertThat(config.worker().receiveWaitSeconds()).isEqualTo(20);
    assertThat(config.aws().sqsAttemptTimeout()).isGreaterThan(Duration.ofSeconds(20));
    assertThat(config.worker().outputFormat()).isEqualTo(ImageryConfig.OutputPolicy.AUTO);
    assertThat(config.resources().createIfMissing()).isFalse();
  }

  @Test
  void retentionIsOffByDefaultAndCountsWholeDays() {
    assertThat(ImageryConfig.fromEnv(Map.of()).resources().retention()).isZero();
    ImageryConfig.Resources set = ImageryConfig.fromEnv(Map.of("IMAGERY_RETENTION_DAYS", "30")).resources();
    assertThat(set.retentionDays()).isEqualTo(30);
    assertThat(set.retention()).isEqualTo(Duration.ofDays(30));
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_RETENTION_DAYS", "-1")))
        .hasMessageContaining("IMAGERY_RETENTION_DAYS");
  }

  @Test
  void theAdminTokenComesFromTheEnvironmentOrASecretFileAndMustBeLong(@TempDir Path dir) throws Exception {
    String token = "0123456789abcdef0123456789abcdef";
    assertThat(ImageryConfig.fromEnv(Map.of()).api().adminToken()).isEmpty();
    assertThat(ImageryConfig.fromEnv(Map.of("IMAGERY_ADMIN_TOKEN", token)).api().adminToken()).contains(token);

    Path file = Files.writeString(dir.resolve("admin-token"), token + "\n");
    assertThat(ImageryConfig.fromEnv(Map.of("IMAGERY_ADMIN_TOKEN_FILE", file.toString())).api().adminToken())
        .as("the final newline of a secret file is dropped").contains(token);
    assertThat(ImageryConfig.fromEnv(Map.of("IMAGERY_ADMIN_TOKEN_FILE", dir.resolve("absent").toString())).api()
        .adminToken()).as("an optional secret that is not mounted").isEmpty();

    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_ADMIN_TOKEN", "short-token")))
        .hasMessageContaining("IMAGERY_ADMIN_TOKEN must be at least 32 characters long, got 11")
        .hasMessageNotContaining("short-token");
    Path shortFile = Files.writeString(dir.resolve("short"), "0123456789");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_ADMIN_TOKEN_FILE", shortFile.toString())))
        .hasMessageContaining("at least 32 characters").hasMessageNotContaining("0123456789");
    Path empty = Files.writeString(dir.resolve("empty"), "\n");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_ADMIN_TOKEN_FILE", empty.toString())))
        .hasMessageContaining("IMAGERY_ADMIN_TOKEN_FILE names an empty file");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_ADMIN_TOKEN", token,
        "IMAGERY_ADMIN_TOKEN_FILE", file.toString())))
        .hasMessageContaining("set IMAGERY_ADMIN_TOKEN or IMAGERY_ADMIN_TOKEN_FILE, not both");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_ADMIN_TOKEN_FILE", dir.toString())))
        .as("a directory, not a file").hasMessageContaining("cannot be read");
  }

  @Test
  void readsOverrides() {
    ImageryConfig config = ImageryConfig.fromEnv(Map.of(
        "IMAGERY_S3_ENDPOINT", "http://127.0.0.1:9090",
        "PORT", "9000",
        "IMAGERY_MAX_UPLOAD_BYTES", "1_000_000",
        "IMAGERY_OUTPUT_FORMAT", "png",
        "AWS_REGION", "eu-west-1"));

    assertThat(config.aws().s3Endpoint()).contains(URI.create("http://127.0.0.1:9090"));
    assertThat(config.api().port()).isEqualTo(9000);
    assertThat(config.api().maxUploadBytes()).isEqualTo(1_000_000);
    assertThat(config.worker().outputFormat()).isEqualTo(ImageryConfig.OutputPolicy.PNG);
    assertThat(config.aws().region()).isEqualTo("eu-west-1");
  }

  @Test
  void theJobDeadlineHasADefaultAndBoundsAndTheHangKnobIsOff() {
    ImageryConfig.Worker defaults = ImageryConfig.fromEnv(Map.of()).worker();
    assertThat(defaults.jobTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(defaults.faultDecodeHangImageId()).isEmpty();

    ImageryConfig.Worker set = ImageryConfig.fromEnv(Map.of("IMAGERY_JOB_TIMEOUT_SECONDS", "4",
        "IMAGERY_FAULT_DECODE_HANG_IMAGE_ID", "some-id")).worker();
    assertThat(set.jobTimeout()).isEqualTo(Duration.ofSeconds(4));
    assertThat(set.faultDecodeHangImageId()).contains("some-id");

    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_JOB_TIMEOUT_SECONDS", "0")))
        .hasMessageContaining("IMAGERY_JOB_TIMEOUT_SECONDS");
  }

  @Test
  void theUploadMemoryBudgetHasADefaultAndAFloor() {
    ImageryConfig.Api defaults = ImageryConfig.fromEnv(Map.of()).api();
    assertThat(defaults.uploadMemoryBudgetBytes()).isEqualTo(80L * 1024 * 1024);
    assertThat(defaults.uploadBudgetWait()).isEqualTo(Duration.ofSeconds(2));
    assertThat(ImageryConfig.fromEnv(Map.of("IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES", "33554432",
        "IMAGERY_UPLOAD_BUDGET_WAIT_MS", "500")).api()).satisfies(api -> {
          assertThat(api.uploadMemoryBudgetBytes()).isEqualTo(32L * 1024 * 1024);
          assertThat(api.uploadBudgetWait()).isEqualTo(Duration.ofMillis(500));
        });
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES", "1000000")))
        .hasMessageContaining("IMAGERY_UPLOAD_MEMORY_BUDGET_BYTES");
  }

  @Test
  void theAttemptAndRequeueLimitsHaveDefaultsAndBoundsAndTheTransientKnobIsOff() {
    ImageryConfig.Worker defaults = ImageryConfig.fromEnv(Map.of()).worker();
    assertThat(defaults.maxAttempts()).isEqualTo(3);
    assertThat(defaults.maxRequeues()).isEqualTo(3);
    assertThat(defaults.faultTransientImageId()).isEmpty();

    ImageryConfig.Worker set = ImageryConfig.fromEnv(Map.of("IMAGERY_MAX_ATTEMPTS", "5",
        "IMAGERY_MAX_REQUEUES", "0", "IMAGERY_FAULT_TRANSIENT_IMAGE_ID", "some-id")).worker();
    assertThat(set.maxAttempts()).isEqualTo(5);
    assertThat(set.maxRequeues()).isZero();
    assertThat(set.faultTransientImageId()).contains("some-id");

    assertThat(defaults.waitBound()).as("300 s x 2^3 + 1.5 x 60 s").contains(Duration.ofSeconds(2490));
    assertThat(ImageryConfig.fromEnv(Map.of("IMAGERY_RECONCILE_AFTER_SECONDS", "0")).worker().waitBound()).isEmpty();

    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_MAX_ATTEMPTS", "0")))
        .hasMessageContaining("IMAGERY_MAX_ATTEMPTS");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_MAX_REQUEUES", "-1")))
        .hasMessageContaining("IMAGERY_MAX_REQUEUES");
  }

  @Test
  void decodeCostLimitsHaveDefaultsAndBounds() {
    ImageryConfig.Worker defaults = ImageryConfig.fromEnv(Map.of()).worker();
    assertThat(defaults.maxDecodedBytes()).isEqualTo(512L * 1024 * 1024);
    assertThat(defaults.maxJpegScans()).isEqualTo(100);

    ImageryConfig.Worker set = ImageryConfig.fromEnv(Map.of(
        "IMAGERY_MAX_DECODED_BYTES", "1073741824", "IMAGERY_MAX_JPEG_SCANS", "500")).worker();
    assertThat(set.maxDecodedBytes()).isEqualTo(1L << 30);
    assertThat(set.maxJpegScans()).isEqualTo(500);

    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_MAX_JPEG_SCANS", "0")))
        .hasMessageContaining("IMAGERY_MAX_JPEG_SCANS");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_MAX_DECODED_BYTES", "1000")))
        .hasMessageContaining("IMAGERY_MAX_DECODED_BYTES");
  }

  @Test
  void theMemoryBudgetDefaultsToTwoThirdsOfTheHeapButHoldsAtLeastOneImageAtTheLimit() {
    long mib = 1024 * 1024;
    // The Kubernetes worker: a 1.5 GiB heap holds two images at the 512 MiB limit.
    assertThat(ImageryConfig.Worker.defaultMemoryBudget(1536 * mib, 512 * mib)).isEqualTo(1024 * mib);
    assertThat(ImageryConfig.Worker.defaultMemoryBudget(256 * mib, 512 * mib)).isEqualTo(512 * mib);
    assertThat(ImageryConfig.fromEnv(Map.of()).worker().memoryBudgetBytes()).isEqualTo(
        ImageryConfig.Worker.defaultMemoryBudget(Runtime.getRuntime().maxMemory(), 512 * mib));

    assertThat(ImageryConfig.fromEnv(Map.of("IMAGERY_WORKER_MEMORY_BUDGET_BYTES", "104857600")).worker()
        .memoryBudgetBytes()).isEqualTo(100 * mib);
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_WORKER_MEMORY_BUDGET_BYTES", "1000000")))
        .hasMessageContaining("IMAGERY_WORKER_MEMORY_BUDGET_BYTES");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_WORKER_MEMORY_BUDGET_BYTES", "lots")))
        .hasMessageContaining("IMAGERY_WORKER_MEMORY_BUDGET_BYTES");
  }

  @Test
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("PORT", "eighty")))
        .hasMessageContaining("PORT");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_OUTPUT_FORMAT", "gif")))
        .hasMessageContaining("IMAGERY_OUTPUT_FORMAT");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_LOG_FORMAT", "xml")))
        .hasMessageContaining("IMAGERY_LOG_FORMAT");
    ImageryConfig.fromEnv(Map.of("IMAGERY_LOG_FORMAT", "text")); // and the two formats pass
    ImageryConfig.fromEnv(Map.of("IMAGERY_LOG_FORMAT", "json"));
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_SQS_ENDPOINT", "localhost")))
        .hasMessageContaining("IMAGERY_SQS_ENDPOINT");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_SQS_ATTEMPT_TIMEOUT_MS", "15000")))
        .as("an attempt timeout shorter than the long poll would cut every empty receive")
        .hasMessageContaining("long poll");
  }

  @Test
  void jobsInFlightDefaultToFourPerPoolThreadAndNeverFewerThanTheThreads() {
    ImageryConfig.Worker set = ImageryConfig.fromEnv(Map.of("IMAGERY_WORKER_CONCURRENCY", "3")).worker();
    assertThat(set.concurrency()).isEqualTo(3);
    assertThat(set.maxInFlight()).isEqualTo(12);
    assertThat(ImageryConfig.fromEnv(Map.of("IMAGERY_WORKER_CONCURRENCY", "2",
        "IMAGERY_WORKER_MAX_IN_FLIGHT", "2")).worker().maxInFlight()).isEqualTo(2);
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_WORKER_CONCURRENCY", "2",
        "IMAGERY_WORKER_MAX_IN_FLIGHT", "1")))
        .hasMessageContaining("IMAGERY_WORKER_MAX_IN_FLIGHT").hasMessageContaining("IMAGERY_WORKER_CONCURRENCY");
  }
}
