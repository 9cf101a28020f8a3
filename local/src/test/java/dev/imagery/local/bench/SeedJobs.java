package dev.imagery.local.bench;

import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ObjectKeys;
import dev.imagery.shared.provision.ResourceProvisioner;
import dev.imagery.shared.queue.JobMessage;
import dev.imagery.shared.runtime.ResourceSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The seeding side of {@code bench/worker-throughput.sh}: not a test. Leaves the state an upload through the API
 * leaves, for each of N jobs: the raw object in S3, the record in {@code uploaded} in DynamoDB, the job in SQS; in
 * seconds, where N uploads through the API took minutes of the shared cores before every run.
 *
 * <pre>  SeedJobs FILE COUNT CONTENT_TYPE</pre>
 * Configured like the services (ImageryConfig from the environment); creates the resources first.
 */
public final class SeedJobs {

  private static final int CONCURRENT = 16;

  private SeedJobs() {
  }

  public static void main(String[] args) throws Exception {
    byte[] bytes = Files.readAllBytes(Path.of(args[0]));
    int count = Integer.parseInt(args[1]);
    String contentType = args[2];
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    ImageryConfig config = ImageryConfig.fromEnv();
    try (AwsClients aws = AwsClients.create(config, "bench-seed-jobs")) {
      new ResourceProvisioner(aws.dynamoDb(), aws.sqs(), aws.s3()).provision(ResourceSetup.names(config)).join();
      String queueUrl = aws.sqs().getQueueUrl(b -> b.queueName(config.resources().queue())).join().queueUrl();
      Semaphore slots = new Semaphore(CONCURRENT);
      List<CompletableFuture<?>> pending = new ArrayList<>();
      List<JobMessage> batch = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String id = UUID.randomUUID().toString();
        String uploadId = UUID.randomUUID().toString();
        Instant now = Instant.now();
        ImageRecord record = new ImageRecord(id, ImageState.UPLOADED, 1, now, now,
            Optional.of(new ImageRecord.Upload(uploadId, ObjectKeys.raw(id, uploadId), contentType, bytes.length,
                sha256, now)),
            Optional.empty(), Optional.empty(), ImageRecord.ANONYMOUS);
        slots.acquire();
        CompletableFuture<?> stored = aws.s3().putObject(PutObjectRequest.builder()
                .bucket(config.resources().bucket()).key(ObjectKeys.raw(id, uploadId)).contentType(contentType)
                .contentLength((long) bytes.length).build(), AsyncRequestBody.fromBytesUnsafe(bytes))
            .thenCompose(put -> aws.dynamoDb().putItem(PutItemRequest.builder()
                .tableName(config.resources().table()).item(record.toItem()).build()))
            .whenComplete((done, error) -> slots.release());
        pending.add(stored);
        batch.add(new JobMessage(id, uploadId));
        if (batch.size() == 10 || i == count - 1) {
          // The jobs go out once their records are there, as the API sends a job after its commit.
          List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
          for (int e = 0; e < batch.size(); e++) {
            entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(e))
                .messageBody(batch.get(e).toJson()).build());
          }
          CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
          aws.sqs().sendMessageBatch(SendMessageBatchRequest.builder().queueUrl(queueUrl).entries(entries).build())
              .thenAccept(sent -> {
                if (!sent.failed().isEmpty()) {
                  throw new IllegalStateException("jobs not sent: " + sent.failed());
                }
              })
              .join();
          pending.clear();
          batch.clear();
        }
      }
      System.out.println("seeded " + count);
    }
  }
}
