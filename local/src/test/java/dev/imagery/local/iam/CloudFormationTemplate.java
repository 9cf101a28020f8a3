package dev.imagery.local.iam;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A CloudFormation template as plain maps, with the short intrinsic tags turned into their long form
 * ({@code !Ref X} into {@code {Ref: X}}, {@code !GetAtt A.B} into {@code {Fn::GetAtt: [A, B]}}, ...).
 */
final class CloudFormationTemplate {

  private static final List<String> FUNCTIONS = List.of("Ref", "Sub", "GetAtt", "If", "Join", "Select", "GetAZs",
      "Equals", "Not", "And", "Or", "Condition", "Split", "FindInMap", "ImportValue", "Base64", "Cidr", "ToJsonString",
      "Length");

  private final Map<String, Object> root;

  private CloudFormationTemplate(Map<String, Object> root) {
    this.root = root;
  }

  static CloudFormationTemplate load(Path file) {
    try (Reader reader = Files.newBufferedReader(file)) {
      Map<String, Object> root = new Yaml(new IntrinsicConstructor()).load(reader);
      return new CloudFormationTemplate(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  Map<String, Map<String, Object>> resources() {
    return (Map<String, Map<String, Object>>) (Map<String, ?>) root.get("Resources");
  }

  Map<String, Object> resource(String logicalId) {
    return Optional.ofNullable(resources().get(logicalId))
        .orElseThrow(() -> new AssertionError("the template has no resource " + logicalId));
  }

  String type(String logicalId) {
    return (String) resource(logicalId).get("Type");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> properties(Map<String, Object> resource) {
    return (Map<String, Object>) resource.getOrDefault("Properties", Map.of());
  }

  /** A value that may be one item or a list of them, as a list. */
  static List<Object> list(Object value) {
    if (value == null) {
      return List.of();
    }
    return value instanceof List<?> items ? new ArrayList<>(items) : List.of(value);
  }

  /** Builds {@code {Fn::Name: value}} (or {@code {Ref: value}}) for each short tag. */
  private static final class IntrinsicConstructor extends SafeConstructor {

    IntrinsicConstructor() {
      super(new LoaderOptions());
      for (String function : FUNCTIONS) {
        String key = function.equals("Ref") || function.equals("Condition") ? function : "Fn::" + function;
        yamlConstructors.put(new Tag("!" + function), new AbstractConstruct() {
          @Override
          public Object construct(Node node) {
            Object value;
            if (node instanceof ScalarNode scalar) {
              value = constructScalar(scalar);
              if (function.equals("GetAtt")) {
                String text = (String) value;
                int dot = text.indexOf('.');
                value = List.of(text.substring(0, dot), text.substring(dot + 1));
              }
            } else if (node instanceof SequenceNode sequence) {
              value = constructSequence(sequence);
            } else {
              value = constructMapping((MappingNode) node);
            }
            return Map.of(key, value);
          }
        });
      }
    }
  }
}
