package dev.imagery.shared.provision;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;

/**
 * Creates Imagery's DynamoDB table, SQS queues and S3 bucket when they are missing, with the settings of the
 * production CloudFormation template, and leaves them alone when they are there. Idempotent: it can run on every
 * start, twice in a row, or from several processes at once (whoever loses a creation race takes the "already
 * exists" answer as success).
 *
 * <p>Plain SDK code on the async clients' {@link CompletableFuture}s: no Vert.x, nothing blocks. Existing resources
 * are not modified, with two exceptions that are additive and idempotent: a table without the
 * {@code awaiting-index} gets it (and time to live when it is off), and a bucket with no lifecycle configuration, or
 * only Imagery's own rules, gets Imagery's rules (the abort rule, and the retention's expiry rules). Settings that
 * differ from the wanted ones are logged at WARN. What an emulator does not implement at all (S3Proxy's 501
 * NotImplemented, DynamoDB Local's UnknownOperationException) is logged at INFO and skipped; nothing else is.
 *
 * <p>Run only when IMAGERY_CREATE_RESOURCES is true ({@code ResourceSetup}). Beyond the services' own rights it
 * needs, on the table: {@code dynamodb:DescribeTable, CreateTable, UpdateTable, UpdateContinuousBackups,
 * DescribeContinuousBackups, DescribeTimeToLive, UpdateTimeToLive}; on both queues: {@code sqs:GetQueueUrl, CreateQueue, GetQueueAttributes}; on the
 * bucket: {@code s3:ListBucket} (HeadBucket), {@code s3:CreateBucket, PutBucketPublicAccessBlock,
 * PutEncryptionConfiguration, GetLifecycleConfiguration, PutLifecycleConfiguration}. No KMS rights: SQS and S3
 * encrypt with their own managed keys, and the table's AWS managed key (aws/dynamodb) lets the account's
 * principals use it through DynamoDB. The emulator test records the real calls and checks them against this list.
 */
public final class ResourceProvisioner {

  /** The table's hash key, a string. */
  public static final String TABLE_HASH_KEY = "id";
  /** Long polling by default: a receive returns as soon as a message arrives, or after 20 s (the SQS maximum). */
  public static final int RECEIVE_MESSAGE_WAIT_SECONDS = 20;

  private final TableProvisioner table;
  private final QueueProvisioner queues;
  private final BucketProvisioner bucket;

  public ResourceProvisioner(DynamoDbAsyncClient dynamoDb, SqsAsyncClient sqs, S3AsyncClient s3) {
    this.table = new TableProvisioner(Objects.requireNonNull(dynamoDb, "dynamoDb"));
    this.queues = new QueueProvisioner(Objects.requireNonNull(sqs, "sqs"));
    this.bucket = new BucketProvisioner(Objects.requireNonNull(s3, "s3"));
  }

  /**
   * Makes sure the table (ACTIVE), both queues and the bucket exist; the three kinds are handled concurrently.
   * Fails with the first error (unwrapped SDK exception) if any of them cannot be created or found.
   */
  public CompletableFuture<ProvisionedResources> provision(ResourceNames names) {
    Objects.requireNonNull(names, "names");
    CompletableFuture<Void> tableReady = ensureTable(names.table());
    CompletableFuture<ProvisionedResources> queuesReady = ensureQueues(names);
    CompletableFuture<Void> bucketReady = ensureBucket(names.bucket(), names.retentionDays());
    return CompletableFuture.allOf(tableReady, queuesReady, bucketReady)
        .handle((ignored, error) -> {
          if (error != null) {
            throw new CompletionException(Calls.unwrap(error));
          }
          return queuesReady.join();
        });
  }

  /** The table: hash key {@code id} (S), on demand, the awaiting-index, deletion protection, PITR; ACTIVE. */
  public CompletableFuture<Void> ensureTable(String tableName) {
    return table.ensure(tableName);
  }

  /** The dead-letter queue, then the job queue redriving to it after {@code maxReceiveCount} receives. */
  public CompletableFuture<ProvisionedResources> ensureQueues(ResourceNames names) {
    return queues.ensure(names);
  }

  /** The bucket, in the client's region: private, SSE-S3, incomplete multipart uploads aborted after a day. */
  public CompletableFuture<Void> ensureBucket(String bucketName) {
    return ensureBucket(bucketName, 0);
  }

  /** {@link #ensureBucket(String)}, whose image objects expire {@code retentionDays} after they were written (0: never). */
  public CompletableFuture<Void> ensureBucket(String bucketName, int retentionDays) {
    return bucket.ensure(bucketName, retentionDays);
  }
}
