package dev.imagery.local.iam;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import dev.imagery.shared.runtime.ResourceSetup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Least privilege, proven: the IAM task roles of the CloudFormation template grant exactly the AWS calls that the API
 * and the worker were seen to make while every integration and chaos test ran ({@link RecordedCalls}), and the
 * README and the Kubernetes service accounts say the same. Runs after them (Failsafe, in {@code verify}).
 */
class LeastPrivilegeIT {

  static final Path TEMPLATE = Path.of("..", "deploy", "ecs", "imagery.yaml");
  static final Path README = Path.of("..", "README.md");
  static final Path SERVICE_ACCOUNTS = Path.of("..", "k8s", "base", "serviceaccounts.yaml");

  /**
   * Grants a role holds although no test saw the call, each with the reason. Empty is the goal: every entry is a
   * right that a test cannot exercise on the emulators.
   */
  static final Map<String, Map<String, String>> JUSTIFIED_EXTRAS = Map.of(
      "imagery-api", Map.of(),
      "imagery-worker", Map.of());

  /** Provisioner rights the emulator-backed tests cannot reach, and why they are listed all the same. */
  static final Map<String, String> PROVISIONER_UNEXERCISED = Map.of(
      "dynamodb:UpdateTable Table", "adds the awaiting-index to a table made before the index existed; "
          + "every test table is created with it",
      "s3:PutLifecycleConfiguration Bucket", "S3Proxy answers 501 to lifecycle calls, so the provisioner stops at "
          + "GetBucketLifecycleConfiguration; the put is covered by WantedSettingsTest");

  private static CloudFormationTemplate template;
  private static Map<String, Set<String>> recorded;

  @BeforeAll
  static void load() {
    template = CloudFormationTemplate.load(TEMPLATE);
    recorded = RecordedCalls.byCaller(RecordedCalls.read());
    System.out.println("recorded AWS calls: " + recorded);
  }

  @Test
  void theTestsExercisedBothServices() {
    assertThat(recorded).containsKeys("imagery-api", "imagery-worker");
    assertThat(recorded.get("imagery-api")).contains("dynamodb:PutItem Table", "s3:UploadPart RawObjects");
    assertThat(recorded.get("imagery-worker")).contains("sqs:ReceiveMessage JobsQueue", "dynamodb:Query Index");
  }

  /** The services and the provisioner; the tests' own looks at the backend (imagery-local) do not count. */
  @Test
  void noCallTouchedAResourceOutsideImagerysOwn() {
    for (String caller : List.of("imagery-api", "imagery-worker", ResourceSetup.CALLER)) {
      assertThat(recorded.getOrDefault(caller, Set.of())).as("calls by %s", caller)
          .noneMatch(call -> call.contains(" Other:"));
    }
  }

  @Test
  void theApiRoleGrantsExactlyWhatTheApiCalls() {
    assertRoleMatches("imagery-api");
  }

  @Test
  void theWorkerRoleGrantsExactlyWhatTheWorkerCalls() {
    assertRoleMatches("imagery-worker");
  }

  /** The API touches the dead-letter queue only through its admin routes; the worker only reads its depth. */
  @Test
  void theApisDeadLetterGrantsAreConditionalAndTheWorkersReadOnly() {
    RolePolicy api = TaskRoles.of(template).get("imagery-api");
    assertThat(api.unconditional()).noneMatch(grant -> grant.endsWith(" DeadLetterQueue"));
    assertThat(api.conditional()).isNotEmpty().allMatch(grant -> grant.endsWith(" DeadLetterQueue"));
    RolePolicy worker = TaskRoles.of(template).get("imagery-worker");
    assertThat(worker.conditional()).isEmpty();
    assertThat(worker.unconditional()).filteredOn(grant -> grant.endsWith(" DeadLetterQueue"))
        .containsExactlyInAnyOrder("sqs:GetQueueUrl DeadLetterQueue", "sqs:GetQueueAttributes DeadLetterQueue");
  }

  @Test
  void noTaskRoleHasWildcardsOrManagedPolicies() {
    TaskRoles.of(template).forEach((service, policy) -> {
      assertThat(policy.managedPolicies()).as("managed policies of %s", service).isEmpty();
      assertThat(policy.all()).as("grants of %s", service)
          .noneMatch(grant -> grant.contains("*") && !grant.endsWith("Objects"))
          .noneMatch(grant -> grant.contains("Unrecognised:"));
    });
  }

  @Test
  void theReadmeTableSaysWhatTheTemplateGrants() {
    Map<String, RolePolicy> documented = DocumentedRoles.fromReadme(README);
    TaskRoles.of(template).forEach((service, policy) -> {
      assertThat(documented.get(service).unconditional()).as("README rows of %s", service)
          .isEqualTo(policy.unconditional());
      assertThat(documented.get(service).conditional()).as("README admin rows of %s", service)
          .isEqualTo(policy.conditional());
    });
  }

  @Test
  void theKubernetesServiceAccountsSayWhatTheTemplateGrants() {
    Map<String, RolePolicy> documented = DocumentedRoles.fromServiceAccounts(SERVICE_ACCOUNTS);
    TaskRoles.of(template).forEach((service, policy) -> {
      assertThat(documented.get(service).unconditional()).as("%s comment of %s", SERVICE_ACCOUNTS, service)
          .isEqualTo(policy.unconditional());
      assertThat(documented.get(service).conditional()).as("%s admin comment of %s", SERVICE_ACCOUNTS, service)
          .isEqualTo(policy.conditional());
    });
  }

  /**
   * IMAGERY_CREATE_RESOURCES needs more rights, listed apart in the README: every call the provisioner made in the
   * tests is there, and each listed right the tests could not reach is justified here.
   */
  @Test
  void theProvisionersRightsAreListedApart() {
    Set<String> documented = DocumentedRoles.fromReadme(README).get(ResourceSetup.CALLER).all();
    Set<String> needed = IamGrants.fromRecorded(recorded.getOrDefault(ResourceSetup.CALLER, Set.of()));
    assertThat(needed).as("provisioner calls in the tests").isNotEmpty();
    Set<String> missing = new TreeSet<>(needed);
    missing.removeAll(documented);
    assertThat(missing).as("provisioner calls the README does not list").isEmpty();
    Set<String> unexercised = new TreeSet<>(documented);
    unexercised.removeAll(needed);
    assertThat(unexercised).as("listed provisioner rights that no test reached")
        .isEqualTo(PROVISIONER_UNEXERCISED.keySet());
  }

  private static void assertRoleMatches(String service) {
    Set<String> granted = TaskRoles.of(template).get(service).all();
    Set<String> needed = IamGrants.fromRecorded(recorded.getOrDefault(service, Set.of()));
    Set<String> justified = JUSTIFIED_EXTRAS.get(service).keySet();

    Set<String> missing = new TreeSet<>(needed);
    missing.removeAll(granted);
    Set<String> unused = new TreeSet<>(granted);
    unused.removeAll(needed);
    unused.removeAll(justified);
    Set<String> staleJustifications = new TreeSet<>(justified);
    staleJustifications.removeAll(granted);

    System.out.printf("%s: %d grants, %d needed by the recorded calls%n", service, granted.size(), needed.size());
    assertThat(missing).as("calls %s makes that its task role does not grant (it would fail on AWS)", service)
        .isEmpty();
    assertThat(unused).as("grants of the %s task role that no test saw it use (remove, or justify)", service)
        .isEmpty();
    assertThat(staleJustifications).as("justified extras of %s that the role no longer has", service).isEmpty();
  }

  /** caller name of a service ({@code imagery-api}) from the image parameter its task definition runs. */
  static String serviceOf(String imageParameter) {
    String name = imageParameter.toLowerCase(Locale.ROOT);
    return name.contains("worker") ? "imagery-worker" : name.contains("api") ? "imagery-api" : "unknown:" + name;
  }

  /** Grants by role, read from the template's task definitions and their task roles. */
  static final class TaskRoles {

    @SuppressWarnings("unchecked")
    static Map<String, RolePolicy> of(CloudFormationTemplate template) {
      Map<String, RolePolicy> roles = new TreeMap<>();
      template.resources().forEach((id, resource) -> {
        if (!"AWS::ECS::TaskDefinition".equals(resource.get("Type"))) {
          return;
        }
        Map<String, Object> properties = CloudFormationTemplate.properties(resource);
        Map<String, Object> container = (Map<String, Object>) ((List<Object>) properties
            .get("ContainerDefinitions")).get(0);
        String image = String.valueOf(((Map<String, Object>) container.get("Image")).get("Ref"));
        String roleId = (String) ((List<Object>) ((Map<String, Object>) properties.get("TaskRoleArn"))
            .get("Fn::GetAtt")).get(0);
        roles.put(serviceOf(image), policy(template, roleId));
      });
      return roles;
    }

    @SuppressWarnings("unchecked")
    private static RolePolicy policy(CloudFormationTemplate template, String roleId) {
      Map<String, Object> role = CloudFormationTemplate.properties(template.resource(roleId));
      Set<String> unconditional = new TreeSet<>();
      Set<String> conditional = new TreeSet<>();
      for (Object policy : CloudFormationTemplate.list(role.get("Policies"))) {
        Map<String, Object> document = (Map<String, Object>) ((Map<String, Object>) policy).get("PolicyDocument");
        for (Object statement : CloudFormationTemplate.list(document.get("Statement"))) {
          Map<String, Object> map = (Map<String, Object>) statement;
          if (map.containsKey("Fn::If")) {
            // !If [Condition, statement, !Ref AWS::NoValue]: granted when the condition holds.
            Object whenTrue = ((List<Object>) map.get("Fn::If")).get(1);
            addGrants(template, (Map<String, Object>) whenTrue, conditional);
          } else {
            addGrants(template, map, unconditional);
          }
        }
      }
      return new RolePolicy(unconditional, conditional, CloudFormationTemplate.list(role.get("ManagedPolicyArns")));
    }

    private static void addGrants(CloudFormationTemplate template, Map<String, Object> statement, Set<String> into) {
      assertThat(statement.get("Effect")).as("statement %s", statement.get("Sid")).isEqualTo("Allow");
      assertThat(statement).as("statement %s", statement.get("Sid")).doesNotContainKeys("NotAction", "NotResource");
      for (Object action : CloudFormationTemplate.list(statement.get("Action"))) {
        for (Object resource : CloudFormationTemplate.list(statement.get("Resource"))) {
          into.add(action + " " + IamGrants.resourceRole(template, resource));
        }
      }
    }
  }
}
