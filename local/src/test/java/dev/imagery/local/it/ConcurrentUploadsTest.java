package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.Images;
import dev.imagery.local.testing.Poll;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Fifty clients upload different files to one image at once. */
class ConcurrentUploadsTest {

  private static final int CLIENTS = 50;

  private final TestStack stack = TestStack.get();
  private final ApiClient api = stack.api;
  private final Backend backend = new Backend(stack);

  @Test
  void fiftyConcurrentUploadsToOneIdEndInOneConsistentRecord() {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    String id = api.createImage();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<ApiClient.Response> answers;
    try {
      answers = IntStream.range(0, CLIENTS)
          // Distinct files: bytes after a JPEG's end-of-image marker are ignored by decoders but change the hash.
          .mapToObj(i -> CompletableFuture.supplyAsync(() -> api.upload(id, withTrailer(photo, i)), clients))
          .toList().stream().map(CompletableFuture::join).toList();
    } finally {
      clients.shutdownNow();
    }

    assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).as(answer.toString()).isIn(202, 409));
    List<Long> accepted = answers.stream().filter(a -> a.status() == 202)
        .map(a -> a.json().getLong("version")).toList();
    assertThat(accepted).as("every accepted upload wrote a version of its own").doesNotHaveDuplicates().isNotEmpty();

    JsonObject done = api.awaitState(id, "processed");
    Poll.await("the job queue to drain", Duration.ofSeconds(60), backend::pendingJobs, n -> n == 0);
    TreeSet<Long> versions = new TreeSet<>(accepted);
    versions.add(done.getLong("version"));
    assertThat(versions).as("versions 1..n, each written once: no gaps, no transition twice")
        .containsExactlyElementsOf(LongStream.rangeClosed(1, done.getLong("version")).boxed().toList());
    assertThat(done.getLong("version")).isEqualTo(accepted.size() + 1);

    String uploadId = backend.uploadId(id);
    assertThat(backend.keys("raw/" + id + "/")).as("one raw object: every replaced or refused one deleted")
        .containsExactly("raw/" + id + "/" + uploadId);
    assertThat(backend.keys("processed/" + id + "/")).as("one result and its thumbnail, of the kept upload")
        .hasSize(2).allMatch(key -> key.startsWith("processed/" + id + "/" + uploadId));
    assertThat(backend.deadLetters()).isZero();
  }

  private static byte[] withTrailer(byte[] jpeg, int n) {
    byte[] out = java.util.Arrays.copyOf(jpeg, jpeg.length + 4);
    out[jpeg.length] = (byte) (n >> 24);
    out[jpeg.length + 1] = (byte) (n >> 16);
    out[jpeg.length + 2] = (byte) (n >> 8);
    out[jpeg.length + 3] = (byte) n;
    return out;
  }
}
