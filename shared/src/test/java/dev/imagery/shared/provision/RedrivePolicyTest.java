package dev.imagery.shared.provision;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class RedrivePolicyTest {

  private static final String ARN = "arn:aws:sqs:eu-west-1:123456789012:imagery-jobs-dlq";

  @Test
  void writesBothFieldsAsJsonWithTheCountAsAString() throws Exception {
    JsonNode written = new ObjectMapper().readTree(new RedrivePolicy(ARN, 5).toJson());
    assertThat(written.size()).isEqualTo(2);
    assertThat(written.get("deadLetterTargetArn").textValue()).isEqualTo(ARN);
    assertThat(written.get("maxReceiveCount").isTextual()).isTrue();
    assertThat(written.get("maxReceiveCount").textValue()).isEqualTo("5");
  }

  @Test
  void readsBackWhatItWrites() {
    RedrivePolicy policy = new RedrivePolicy(ARN, 1000);
    assertThat(RedrivePolicy.parse(policy.toJson())).contains(policy);
  }

  @Test
  void readsTheCountAsANumberOrAString() {
    // AWS and ElasticMQ answer with a number; the API reference and our own write use a string.
    assertThat(RedrivePolicy.parse("{\"deadLetterTargetArn\":\"" + ARN + "\",\"maxReceiveCount\":5}"))
        .contains(new RedrivePolicy(ARN, 5));
    assertThat(RedrivePolicy.parse("{ \"maxReceiveCount\" : \"5\", \"deadLetterTargetArn\" : \"" + ARN + "\" }"))
        .contains(new RedrivePolicy(ARN, 5));
  }

  @Test
  void tellsPoliciesApart() {
    assertThat(RedrivePolicy.parse(new RedrivePolicy(ARN, 5).toJson()))
        .isNotEqualTo(RedrivePolicy.parse(new RedrivePolicy(ARN, 3).toJson()))
        .isNotEqualTo(RedrivePolicy.parse(new RedrivePolicy(ARN + "-other", 5).toJson()));
  }

  @Test
  void anythingElseIsNoPolicy() {
    assertThat(RedrivePolicy.parse(null)).isEmpty();
    assertThat(RedrivePolicy.parse("")).isEmpty();
    assertThat(RedrivePolicy.parse("not json")).isEmpty();
    assertThat(RedrivePolicy.parse("[]")).isEmpty();
    assertThat(RedrivePolicy.parse("{\"deadLetterTargetArn\":\"" + ARN + "\"}")).isEmpty();
    assertThat(RedrivePolicy.parse("{\"maxReceiveCount\":5}")).isEmpty();
    assertThat(RedrivePolicy.parse("{\"deadLetterTargetArn\":\"" + ARN + "\",\"maxReceiveCount\":\"five\"}")).isEmpty();
    assertThat(RedrivePolicy.parse("{\"deadLetterTargetArn\":\"" + ARN + "\",\"maxReceiveCount\":5.5}")).isEmpty();
    assertThat(RedrivePolicy.parse("{\"deadLetterTargetArn\":7,\"maxReceiveCount\":5}")).isEmpty();
  }
}
