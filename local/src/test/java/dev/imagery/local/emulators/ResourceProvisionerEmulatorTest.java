package dev.imagery.local.emulators;

import static dev.imagery.local.emulators.LocalAwsServersTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imagery.local.LocalAwsServers;
import dev.imagery.local.LocalAwsServers.Ports;
import dev.imagery.local.emulators.LocalAwsServersTest.Clients;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.provision.ProvisionedResources;
import dev.imagery.shared.provision.ResourceNames;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * {@code ResourceProvisioner} against DynamoDB Local, ElasticMQ and S3Proxy: what it creates, read back where the
 * emulator can say; that a second run only reads; and that existing resources are left as they are. The calls are
 * the real requests, recorded by an SDK interceptor on the production-like clients. (That each is in the README's
 * IAM list is LeastPrivilegeIT's job, from the AWS call log of every test.)
 *
 * <p>Where an emulator does not implement a setting, the test pins the refusal. If one of these pins breaks, the
 * emulator has learnt the operation: replace the pin with a read-back of the value.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResourceProvisionerEmulatorTest {

  /** What a run that finds everything may call. */
  private static final Set<String> READS = Set.of("DynamoDb:DescribeTable", "DynamoDb:DescribeContinuousBackups",
      "DynamoDb:DescribeTimeToLive", "Sqs:GetQueueUrl", "Sqs:GetQueueAttributes", "S3:HeadBucket",
      "S3:GetBucketLifecycleConfiguration");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final CallLog calls = new CallLog();
  private LocalAwsServers servers;
  private Clients clients;

  @BeforeAll
  void start() {
    servers = LocalAwsServers.start(Ports.anyFree(), Optional.empty());
    clients = Clients.connect(servers, LocalAwsServers.SECRET_ACCESS_KEY, List.of(calls));
  }

  @AfterAll
  void stop() {
    if (clients != null) {
      clients.close();
    }
    if (servers != null) {
      servers.stop();
    }
  }

  @Test
  void freshResourcesGetTheSettingsOfTheProductionTemplate() throws Exception {
    ResourceNames names = freshNames(4, 75);
    List<String> made = provisionRecording(names);
    assertThat(made).contains("DynamoDb:CreateTable", "DynamoDb:UpdateContinuousBackups",
        "DynamoDb:DescribeTimeToLive", "DynamoDb:UpdateTimeToLive", "Sqs:CreateQueue",
        "S3:CreateBucket", "S3:PutPublicAccessBlock", "S3:PutBucketEncryption", "S3:GetBucketLifecycleConfiguration");
    // S3Proxy refuses the lifecycle read (501), so the rule is never put there.
    assertThat(made).doesNotContain("S3:PutBucketLifecycleConfiguration");

    // DynamoDB Local reports the table's settings but encryption and point-in-time recovery.
    TableDescription table = await(clients.dynamoDb().describeTable(b -> b.tableName(names.table()))).table();
    assertThat(table.tableStatus()).isEqualTo(TableStatus.ACTIVE);
    assertThat(table.billingModeSummary().billingMode()).isEqualTo(BillingMode.PAY_PER_REQUEST);
    assertThat(table.deletionProtectionEnabled()).isTrue();
    // It takes SSESpecification on CreateTable, and reports nothing back about it.
    assertThat(table.sseDescription()).as("SSE description").isNull();
    assertThat(table.globalSecondaryIndexes()).singleElement().satisfies(ResourceProvisionerEmulatorTest::isAwaitingIndex);
    assertRefused(clients.dynamoDb().describeContinuousBackups(b -> b.tableName(names.table())),
        400, "UnknownOperationException");
    // DynamoDB Local keeps time to live (and reports it), though it never deletes an expired item itself.
    assertThat(await(clients.dynamoDb().describeTimeToLive(b -> b.tableName(names.table()))).timeToLiveDescription())
        .satisfies(ttl -> {
          assertThat(ttl.timeToLiveStatus()).isEqualTo(TimeToLiveStatus.ENABLED);
          assertThat(ttl.attributeName()).isEqualTo(ImageRecord.EXPIRES_AT);
        });

    // ElasticMQ takes MessageRetentionPeriod and SqsManagedSseEnabled on CreateQueue but reports neither.
    ProvisionedResources queues = await(clients.provisioner().ensureQueues(names));
    Map<QueueAttributeName, String> deadLetter = attributes(queues.deadLetterQueueUrl());
    assertThat(deadLetter).doesNotContainKeys(
        QueueAttributeName.MESSAGE_RETENTION_PERIOD, QueueAttributeName.SQS_MANAGED_SSE_ENABLED);
    Map<QueueAttributeName, String> jobs = attributes(queues.queueUrl());
    assertThat(jobs).containsEntry(QueueAttributeName.VISIBILITY_TIMEOUT, "75")
        .containsEntry(QueueAttributeName.RECEIVE_MESSAGE_WAIT_TIME_SECONDS, "20")
        .doesNotContainKey(QueueAttributeName.SQS_MANAGED_SSE_ENABLED);
    JsonNode redrive = JSON.readTree(jobs.get(QueueAttributeName.REDRIVE_POLICY));
    assertThat(redrive.get("deadLetterTargetArn").asText()).isEqualTo(deadLetter.get(QueueAttributeName.QUEUE_ARN));
    assertThat(redrive.get("maxReceiveCount").asInt()).isEqualTo(4);

    // S3Proxy keeps default encryption; it implements neither public access blocks nor lifecycle rules.
    assertThat(await(clients.s3().getBucketEncryption(b -> b.bucket(names.bucket())))
        .serverSideEncryptionConfiguration().rules())
        .singleElement()
        .satisfies(rule -> assertThat(rule.applyServerSideEncryptionByDefault().sseAlgorithm())
            .isEqualTo(ServerSideEncryption.AES256));
    assertRefused(clients.s3().getPublicAccessBlock(b -> b.bucket(names.bucket())), 501, "NotImplemented");
    assertRefused(clients.s3().getBucketLifecycleConfiguration(b -> b.bucket(names.bucket())), 501, "NotImplemented");
  }

  @Test
  void aSecondRunOnlyReadsAndChangesNothing() {
    ResourceNames names = freshNames(5, 60);
    ProvisionedResources first = await(clients.provisioner().provision(names));
    Snapshot before = snapshot(names, first);

    List<String> again = provisionRecording(names);
    assertThat(again).isNotEmpty().allMatch(READS::contains);
    assertThat(snapshot(names, first)).isEqualTo(before);
    assertThat(await(clients.provisioner().provision(names))).isEqualTo(first);
  }

  @Test
  void existingResourcesAreLeftAsTheyAreButATableGetsTheMissingIndex() {
    ResourceNames names = freshNames(5, 60);
    // Made by hand, the way older versions (or someone else) did: no index, no protection, no settings.
    await(clients.dynamoDb().createTable(b -> b.tableName(names.table())
        .attributeDefinitions(AttributeDefinition.builder().attributeName("id").attributeType(ScalarAttributeType.S).build())
        .keySchema(KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
        .billingMode(BillingMode.PAY_PER_REQUEST)));
    String deadLetterUrl = await(clients.sqs().createQueue(b -> b.queueName(names.deadLetterQueue()))).queueUrl();
    Map<QueueAttributeName, String> deadLetterBefore = attributes(deadLetterUrl);
    await(clients.s3().createBucket(b -> b.bucket(names.bucket())));

    List<String> made = provisionRecording(names);
    assertThat(made).contains("DynamoDb:UpdateTable", "DynamoDb:UpdateTimeToLive", "S3:GetBucketLifecycleConfiguration")
        .doesNotContain("DynamoDb:CreateTable", "DynamoDb:UpdateContinuousBackups", "S3:CreateBucket",
            "S3:PutPublicAccessBlock", "S3:PutBucketEncryption");
    assertThat(made).as("only the job queue is created").containsOnlyOnce("Sqs:CreateQueue");

    TableDescription table = await(clients.dynamoDb().describeTable(b -> b.tableName(names.table()))).table();
    assertThat(table.globalSecondaryIndexes()).singleElement().satisfies(ResourceProvisionerEmulatorTest::isAwaitingIndex);
    assertThat(table.deletionProtectionEnabled()).as("deletion protection left off").isFalse();
    assertThat(await(clients.dynamoDb().describeTimeToLive(b -> b.tableName(names.table()))).timeToLiveDescription()
        .timeToLiveStatus()).as("time to live added, as the index is").isEqualTo(TimeToLiveStatus.ENABLED);
    assertThat(attributes(deadLetterUrl)).isEqualTo(deadLetterBefore);
    // No default encryption was added: S3Proxy answers as S3 does for a bucket without one.
    assertRefused(clients.s3().getBucketEncryption(b -> b.bucket(names.bucket())),
        404, "ServerSideEncryptionConfigurationNotFoundError");
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /** Provisions, and returns the operations it called. */
  private List<String> provisionRecording(ResourceNames names) {
    calls.clear();
    await(clients.provisioner().provision(names));
    return calls.list();
  }

  private static ResourceNames freshNames(int maxReceiveCount, int visibilityTimeoutSeconds) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    return new ResourceNames("table-" + suffix, "jobs-" + suffix, "jobs-" + suffix + "-dlq", "bucket-" + suffix,
        maxReceiveCount, visibilityTimeoutSeconds);
  }

  private static void isAwaitingIndex(GlobalSecondaryIndexDescription index) {
    assertThat(index.indexName()).isEqualTo(ImageRecord.AWAITING_INDEX);
    assertThat(index.keySchema()).extracting(KeySchemaElement::attributeName, KeySchemaElement::keyType)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(ImageRecord.AWAITING, KeyType.HASH),
            org.assertj.core.groups.Tuple.tuple(ImageRecord.AWAITING_SINCE, KeyType.RANGE));
    assertThat(index.projection().projectionType()).isEqualTo(ProjectionType.INCLUDE);
    assertThat(index.projection().nonKeyAttributes()).containsExactly("uploadId");
  }

  private static void assertRefused(CompletableFuture<?> call, int status, String code) {
    assertThat(call).failsWithin(Duration.ofSeconds(30))
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(AwsServiceException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(status);
          assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
        });
  }

  private Map<QueueAttributeName, String> attributes(String queueUrl) {
    return await(clients.sqs().getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.ALL)))
        .attributes();
  }

  /** Everything the emulators say about the resources, timestamps included. */
  private Snapshot snapshot(ResourceNames names, ProvisionedResources queues) {
    TableDescription table = await(clients.dynamoDb().describeTable(b -> b.tableName(names.table()))).table();
    Bucket bucket = await(clients.s3().listBuckets()).buckets().stream()
        .filter(b -> b.name().equals(names.bucket())).findFirst().orElseThrow();
    Object encryption = await(clients.s3().getBucketEncryption(b -> b.bucket(names.bucket())))
        .serverSideEncryptionConfiguration();
    return new Snapshot(table, attributes(queues.queueUrl()), attributes(queues.deadLetterQueueUrl()),
        bucket, encryption);
  }

  record Snapshot(TableDescription table, Map<QueueAttributeName, String> jobs,
      Map<QueueAttributeName, String> deadLetters, Bucket bucket, Object encryption) {
  }

  /** Records "Service:Operation" of every request the clients start, retries and waiter polls included. */
  static final class CallLog implements ExecutionInterceptor {

    private final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      calls.add(attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + ":"
          + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
    }

    void clear() {
      calls.clear();
    }

    List<String> list() {
      return List.copyOf(calls);
    }
  }
}
