package dev.imagery.local.bench;

import dev.imagery.shared.aws.AwsClients;
import dev.imagery.shared.config.ImageryConfig;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.BlockingInputStreamAsyncRequestBody;
import software.amazon.awssdk.core.async.BufferedSplittableAsyncRequestBody;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * The baseline of {@code bench/upload-throughput.sh}: the same bytes the API receives, PUT straight to S3 with the
 * SDK's multipart client exactly as the API builds it ({@link AwsClients#s3Uploads()}: 5 MiB parts, 15 MiB of
 * buffer, an unknown length, as a streamed upload has). One warm JVM takes commands on stdin, one per line, so that
 * its runs alternate with the API's without paying a JVM start each time:
 *
 * <pre>
 * put FILE KEY          the file as a body of unknown length, the SDK's own splitting; prints "ms bytes"
 * put-buffered FILE KEY the same, wrapped as the API wraps it (each part buffered whole before it is sent)
 * delete PREFIX         deletes every object under PREFIX (the runs' 1 GiB objects would fill the disk)
 * </pre>
 *
 * The configuration comes from the environment that {@code imagery-local.jar --emulators-only} prints.
 */
public final class DirectS3Upload {

  private DirectS3Upload() {
  }

  public static void main(String[] args) throws Exception {
    ImageryConfig config = ImageryConfig.fromEnv();
    String bucket = config.resources().bucket();
    try (AwsClients aws = AwsClients.create(config, "bench-direct-s3");
         BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      aws.warmUpCredentials();
      System.out.println("ready");
      for (String line = commands.readLine(); line != null; line = commands.readLine()) {
        String[] words = line.trim().split("\\s+");
        switch (words[0]) {
          case "put", "put-buffered" -> {
            long started = System.nanoTime();
            long bytes = put(aws, bucket, Path.of(words[1]), words[2], words[0].equals("put-buffered"));
            System.out.println((System.nanoTime() - started) / 1_000_000 + " " + bytes);
          }
          case "delete" -> System.out.println("deleted " + deleteAll(aws, bucket, words[1]));
          default -> System.out.println("error: unknown command " + words[0]);
        }
      }
    }
  }

  private static long put(AwsClients aws, String bucket, Path file, String key, boolean bufferedAsApi)
      throws Exception {
    // null: the length is unknown, as it is for the API, which reads a multipart body.
    BlockingInputStreamAsyncRequestBody stream = AsyncRequestBody.forBlockingInputStream(null);
    AsyncRequestBody body = bufferedAsApi
        ? BufferedSplittableAsyncRequestBody.builder().asyncRequestBody(stream).bufferBeforeSend(true).build()
        : stream;
    var done = aws.s3Uploads().putObject(PutObjectRequest.builder().bucket(bucket).key(key)
        .contentType("image/jpeg").build(), body);
    try (InputStream in = Files.newInputStream(file)) {
      // Blocks this thread (not an SDK or Vert.x one) until the SDK has taken every byte.
      stream.writeInputStream(in);
    }
    done.join();
    return Files.size(file);
  }

  private static int deleteAll(AwsClients aws, String bucket, String prefix) {
    var keys = aws.s3().listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).join()
        .contents().stream().map(o -> ObjectIdentifier.builder().key(o.key()).build()).toList();
    if (!keys.isEmpty()) {
      aws.s3().deleteObjects(DeleteObjectsRequest.builder().bucket(bucket)
          .delete(Delete.builder().objects(keys).build()).build()).join();
    }
    return keys.size();
  }
}
