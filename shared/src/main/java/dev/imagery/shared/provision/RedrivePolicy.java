package dev.imagery.shared.provision;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;

/**
 * An SQS {@code RedrivePolicy}: where a message goes after {@code maxReceiveCount} receives.
 *
 * @param deadLetterTargetArn the dead-letter queue's ARN
 * @param maxReceiveCount receives before the move (1 to 1000)
 */
record RedrivePolicy(String deadLetterTargetArn, int maxReceiveCount) {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String TARGET = "deadLetterTargetArn";
  private static final String COUNT = "maxReceiveCount";

  RedrivePolicy {
    Objects.requireNonNull(deadLetterTargetArn, TARGET);
  }

  /** The attribute value. The count is written as a string, as the SQS API reference shows it. */
  String toJson() {
    ObjectNode policy = MAPPER.createObjectNode()
        .put(TARGET, deadLetterTargetArn)
        .put(COUNT, Integer.toString(maxReceiveCount));
    try {
      return MAPPER.writeValueAsString(policy);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a redrive policy", e); // an ObjectNode of two strings
    }
  }

  /**
   * Reads a queue's {@code RedrivePolicy}; empty when it is missing, not JSON, or lacks either field. SQS and
   * ElasticMQ give {@code maxReceiveCount} back as a number even when it was sent as a string, so both are read.
   */
  static Optional<RedrivePolicy> parse(String json) {
    if (json == null || json.isBlank()) {
      return Optional.empty();
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    JsonNode target = node.path(TARGET);
    JsonNode count = node.path(COUNT);
    if (!target.isTextual()) {
      return Optional.empty();
    }
    return receiveCount(count).map(receives -> new RedrivePolicy(target.asText(), receives));
  }

  private static Optional<Integer> receiveCount(JsonNode count) {
    if (count.isIntegralNumber() && count.canConvertToInt()) {
      return Optional.of(count.intValue());
    }
    if (count.isTextual()) {
      try {
        return Optional.of(Integer.parseInt(count.textValue().trim()));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
