package dev.imagery.shared.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
  void badValuesNameTheVariable() {
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("PORT", "eighty")))
        .hasMessageContaining("PORT");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_OUTPUT_FORMAT", "gif")))
        .hasMessageContaining("IMAGERY_OUTPUT_FORMAT");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_SQS_ENDPOINT", "localhost")))
        .hasMessageContaining("IMAGERY_SQS_ENDPOINT");
    assertThatThrownBy(() -> ImageryConfig.fromEnv(Map.of("IMAGERY_SQS_ATTEMPT_TIMEOUT_MS", "15000")))
        .as("an attempt timeout shorter than the long poll would cut every empty receive")
        .hasMessageContaining("long poll");
  }
}
