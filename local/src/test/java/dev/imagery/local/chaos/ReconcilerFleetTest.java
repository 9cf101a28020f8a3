package dev.imagery.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.Poll;
import dev.imagery.shared.image.ImageRecord;
import dev.imagery.shared.image.ImageState;
import dev.imagery.shared.image.ObjectKeys;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * A fleet of reconcilers and more stuck images than one page: 600 images left in {@code uploaded} with no job
 * queued (their uploads stopped between DynamoDB and SQS), and 3 worker processes, each running its reconciler.
 * Every image must end processed, and each must have been queued again exactly once per due point: the claim
 * makes the fleet send one copy, not three, and the pass reads past the first 500. A tenth of the records carry the
 * index key of versions before sharding ({@code awaiting = "uploaded"}) and must be healed too.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReconcilerFleetTest {

  private static final int IMAGES = 600;
  private static final int LEGACY_EVERY = 10;
  private static final int WORKERS = 3;
  /** Long enough that most images are processed before their second due point; the test allows one anyway. */
  private static final Duration AFTER = Duration.ofSeconds(30);
  /** Each record is written already waiting this close to its first due point. */
  private static final Duration DUE_IN = Duration.ofSeconds(3);
  private static final Pattern REQUEUED =
      Pattern.compile("requeued image=(\\S+) upload=(\\S+) due=(\\d+) message=(\\S+)");
  private static final Pattern HANDLED = Pattern.compile("image=(\\S+) message=(\\S+) .*(processed in|nothing to do)");

  private ChaosStack stack;

  @BeforeEach
  void startStack() {
    stack = ChaosStack.start("ReconcilerFleetTest", Map.of(
        "IMAGERY_RECEIVE_WAIT_SECONDS", "1",
        "IMAGERY_WORKER_CONCURRENCY", "2",
        // No message comes back by timeout: every job a worker receives is one the reconcilers sent.
        "IMAGERY_VISIBILITY_TIMEOUT_SECONDS", "60",
        "IMAGERY_RECONCILE_AFTER_SECONDS", Long.toString(AFTER.toSeconds()),
        "IMAGERY_RECONCILE_INTERVAL_SECONDS", "1"));
  }

  @AfterEach
  void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void threeReconcilersQueueOneCopyPerDuePointOfEveryStuckImage() {
    List<ServiceProcess> workers = IntStream.rangeClosed(1, WORKERS)
        .mapToObj(n -> stack.startWorker("worker-" + n, Map.of())).toList();
    workers.forEach(worker -> worker.awaitReady(ChaosStack.START_TIMEOUT));

    long started = System.nanoTime();
    Map<String, ImageRecord> stuck = writeStuckImages();
    long written = System.nanoTime();

    Map<String, ImageRecord> records = Poll.await("all " + IMAGES + " images to be processed", Duration.ofSeconds(150),
        Duration.ofSeconds(1), stack::allRecords,
        all -> stuck.keySet().stream().allMatch(id -> all.get(id).state() == ImageState.PROCESSED));
    long processed = System.nanoTime();
    Poll.await("the job queue to drain", Duration.ofSeconds(60), stack::jobs, counts -> counts.total() == 0);

    // Every requeue the fleet sent, from the workers' logs: one line per message queued.
    List<Matcher> requeues = stack.workerLogLines(REQUEUED).stream().map(line -> {
      Matcher m = REQUEUED.matcher(line);
      assertThat(m.find()).isTrue();
      return m;
    }).toList();
    Map<String, Long> perDuePoint = requeues.stream()
        .collect(Collectors.groupingBy(m -> m.group(1) + " due=" + m.group(3), Collectors.counting()));
    Map<String, Long> perImage = requeues.stream()
        .collect(Collectors.groupingBy(m -> m.group(1), Collectors.counting()));

    assertThat(perImage.keySet()).as("every stuck image was queued again, legacy index keys included")
        .containsExactlyInAnyOrderElementsOf(stuck.keySet());
    Map<String, Long> duplicated = perDuePoint.entrySet().stream().filter(e -> e.getValue() != 1)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    assertThat(duplicated).as("due points requeued more than once, of %d requeues in all", requeues.size()).isEmpty();
    for (Matcher m : requeues) {
      ImageRecord record = stuck.get(m.group(1));
      assertThat(m.group(2)).isEqualTo(record.uploadId().orElseThrow());
      long waitedMs = Long.parseLong(m.group(3)) - record.updatedAt().toEpochMilli();
      assertThat(waitedMs % AFTER.toMillis()).as("a due point is after x 2^k: %s", m.group()).isZero();
      assertThat(Long.bitCount(waitedMs / AFTER.toMillis())).as("a due point is after x 2^k: %s", m.group())
          .isEqualTo(1);
    }
    // Cross-check with what the workers received: each message sent was handled once, and there were no others.
    List<String> handled = stack.workerLogLines(HANDLED).stream().map(line -> {
      Matcher m = HANDLED.matcher(line);
      assertThat(m.find()).isTrue();
      return m.group(2);
    }).toList();
    Set<String> sent = requeues.stream().map(m -> m.group(4)).collect(Collectors.toSet());
    assertThat(sent).hasSize(requeues.size());
    assertThat(handled).as("messages the workers received").hasSize(requeues.size())
        .containsExactlyInAnyOrderElementsOf(sent);
    assertThat(records.values().stream().filter(r -> stuck.containsKey(r.id())))
        .allSatisfy(r -> assertThat(r.version()).as("committed once: %s", r.id()).isEqualTo(2));
    assertThat(stack.deadLetters().total()).isZero();

    Map<Long, Long> histogram = perImage.values().stream()
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    String summary = String.format("reconciler fleet: %d images (%d under the legacy key), %d workers, %d requeues "
            + "(requeues per image: %s), max per image and due point %d, written in %d ms, all processed %d ms after",
        IMAGES, stuck.size() / LEGACY_EVERY, WORKERS, requeues.size(), histogram,
        perDuePoint.values().stream().mapToLong(Long::longValue).max().orElse(0),
        TimeUnit.NANOSECONDS.toMillis(written - started), TimeUnit.NANOSECONDS.toMillis(processed - written));
    System.out.println(summary);
    ChaosStack.appendToRunLog("reconciler-fleet-runs.log", Instant.now() + " " + summary);
  }

  /**
   * The API's first two steps, done by hand for each image: the raw object, then the record in {@code uploaded};
   * no job. Each record has been waiting {@link #AFTER} minus {@link #DUE_IN} when written, so its first due point
   * comes seconds later; every tenth is written under the unsharded index key of older versions.
   */
  private Map<String, ImageRecord> writeStuckImages() {
    byte[] photo = smallJpeg();
    Map<String, ImageRecord> stuck = new HashMap<>();
    List<CompletableFuture<?>> window = new ArrayList<>();
    for (int i = 0; i < IMAGES; i++) {
      String id = UUID.randomUUID().toString();
      String uploadId = UUID.randomUUID().toString();
      String rawKey = ObjectKeys.raw(id, uploadId);
      Instant since = Instant.now().minus(AFTER).plus(DUE_IN);
      ImageRecord record = new ImageRecord(id, ImageState.UPLOADED, 1, since.minusSeconds(1), since,
          Optional.of(new ImageRecord.Upload(uploadId, rawKey, "image/jpeg", photo.length, "not-checked", since)),
          Optional.empty(), Optional.empty(), ImageRecord.ANONYMOUS);
      Map<String, AttributeValue> item = new HashMap<>(record.toItem());
      if (i % LEGACY_EVERY == 0) {
        item.put(ImageRecord.AWAITING, AttributeValue.fromS(ImageRecord.AWAITING_LEGACY));
      }
      stuck.put(id, record);
      window.add(stack.aws().s3().putObject(PutObjectRequest.builder()
              .bucket(stack.config().resources().bucket()).key(rawKey).contentType("image/jpeg").build(),
              AsyncRequestBody.fromBytes(photo))
          .thenCompose(put -> stack.aws().dynamoDb().putItem(PutItemRequest.builder()
              .tableName(stack.config().resources().table()).item(item).build())));
      if (window.size() == 20) {
        CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).orTimeout(60, TimeUnit.SECONDS).join();
        window.clear();
      }
    }
    CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).orTimeout(60, TimeUnit.SECONDS).join();
    return stuck;
  }

  private static byte[] smallJpeg() {
    BufferedImage image = new BufferedImage(48, 32, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(40, 120, 200));
    g.fillRect(0, 0, 48, 32);
    g.setColor(Color.ORANGE);
    g.fillOval(8, 4, 24, 24);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "jpg", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
