package dev.imagery.shared.aws;

import dev.imagery.shared.config.ImageryConfig;
import dev.imagery.shared.image.ImageRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Writes down each distinct AWS operation a process calls, and on which of Imagery's resources, one line each:
 * {@code caller <TAB> service:Operation <TAB> Resource}, e.g. {@code imagery-worker  dynamodb:Query  Index}.
 * The least-privilege test compares these lines, recorded while the integration and chaos tests run, with the IAM
 * roles of the deployment template; operators can switch it on to audit a role ({@code IMAGERY_AWS_CALL_LOG}).
 *
 * <p>Resources are named by their role, not their name ({@code Table}, {@code JobsQueue}, {@code RawObjects}...),
 * the way the template's policy statements are, so that tests with other resource names record the same lines.
 * Anything else is written as {@code Other:name} and fails that test. Each line is written once per process, by
 * one background thread: the interceptor runs on the caller's thread, which is often a Vert.x event loop.
 */
public final class AwsCallLog implements ExecutionInterceptor {

  private static final Logger LOG = LoggerFactory.getLogger(AwsCallLog.class);

  private final String caller;
  private final ImageryConfig.Resources names;
  private final Path file;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();
  private final ExecutorService writer = Executors.newSingleThreadExecutor(runnable -> {
    Thread thread = new Thread(runnable, "imagery-aws-call-log");
    thread.setDaemon(true);
    return thread;
  });

  public AwsCallLog(String caller, ImageryConfig.Resources names, Path file) {
    this.caller = caller;
    this.names = names;
    this.file = file;
  }

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME).toLowerCase(Locale.ROOT);
    String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    String line = caller + "\t" + service + ":" + operation + "\t" + resource(context.request());
    if (seen.add(line)) {
      writer.execute(() -> append(line));
    }
  }

  /** The role of the resource a request names; the most specific one (an object key over its bucket). */
  String resource(SdkRequest request) {
    Optional<String> table = field(request, "TableName");
    if (table.isPresent()) {
      Optional<String> index = field(request, "IndexName");
      if (!table.get().equals(names.table())) {
        return "Other:" + table.get();
      }
      return index.map(name -> name.equals(ImageRecord.AWAITING_INDEX) ? "Index" : "Other:" + name).orElse("Table");
    }
    Optional<String> queue = field(request, "QueueUrl")
        .map(url -> url.substring(url.lastIndexOf('/') + 1))
        .or(() -> field(request, "QueueName"));
    if (queue.isPresent()) {
      return queue.get().equals(names.queue()) ? "JobsQueue"
          : queue.get().equals(names.deadLetterQueue()) ? "DeadLetterQueue"
          : "Other:" + queue.get();
    }
    Optional<String> bucket = field(request, "Bucket");
    if (bucket.isPresent()) {
      if (!bucket.get().equals(names.bucket())) {
        return "Other:" + bucket.get();
      }
      return field(request, "Key").map(AwsCallLog::objects).orElse("Bucket");
    }
    return "Other:" + request.getClass().getSimpleName();
  }

  /** Object keys by their first segment, the prefixes policies grant on (see ObjectKeys). */
  private static String objects(String key) {
    return key.startsWith("raw/") ? "RawObjects"
        : key.startsWith("processed/") ? "ProcessedObjects"
        : "Other:" + key;
  }

  private static Optional<String> field(SdkRequest request, String name) {
    return request.getValueForField(name, String.class).filter(value -> !value.isEmpty());
  }

  private void append(String line) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      // O_APPEND: several processes may share one file; a line this short is written whole.
      Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      LOG.warn("could not record AWS call '{}' in {}: {}", line, file, e.toString());
    }
  }
}
