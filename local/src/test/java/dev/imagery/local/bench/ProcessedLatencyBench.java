package dev.imagery.local.bench;

import dev.imagery.local.testing.ApiClient;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code bench/processed-latency.sh}: one image after another, the time from the upload's 202 to the answer that says
 * {@code processed}, seen through ONE long-poll request per image ({@code GET /image/{id}?waitFor=final&timeout=20},
 * sent the moment the 202 arrives). Also the same span on the services' clocks (the record's {@code uploadedAt} to
 * its {@code processedAt}), which leaves out the long poll's own delay in noticing the change.
 *
 * <pre>
 * ProcessedLatencyBench BASE_URL PHOTO [IMAGES=200] [WARM_UP=10]
 * </pre>
 */
public final class ProcessedLatencyBench {

  private ProcessedLatencyBench() {
  }

  public static void main(String[] args) throws Exception {
    String base = args[0];
    byte[] photo = Files.readAllBytes(Path.of(args[1]));
    int images = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int warmUp = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    ApiClient api = new ApiClient(base, Duration.ofSeconds(40));
    Latencies seen = new Latencies();
    Latencies server = new Latencies();
    Latencies upload = new Latencies();
    int notProcessed = 0;
    for (int i = -warmUp; i < images; i++) {
      String id = api.createImage();
      long sent = System.nanoTime();
      ApiClient.Response accepted = api.upload(id, photo);
      long acceptedAt = System.nanoTime();
      if (accepted.status() != 202) {
        throw new IllegalStateException("upload of " + id + " answered " + accepted);
      }
      ApiClient.Response waited = api.get("/image/" + id + "?waitFor=final&timeout=20");
      long answeredAt = System.nanoTime();
      JsonObject record = waited.json();
      if (i < 0) {
        continue; // warming the JITs of API, worker and emulators up
      }
      if (waited.status() != 200 || !"processed".equals(record.getString("state"))) {
        notProcessed++;
        System.out.println("image " + id + " after one long poll: " + waited);
        continue;
      }
      seen.add((answeredAt - acceptedAt) / 1_000);
      upload.add((acceptedAt - sent) / 1_000);
      Instant uploadedAt = Instant.parse(record.getJsonObject("original").getString("uploadedAt"));
      Instant processedAt = Instant.parse(record.getJsonObject("result").getString("processedAt"));
      server.add(Duration.between(uploadedAt, processedAt).toNanos() / 1_000);
    }
    System.out.printf("%d images of %d bytes, one at a time (%d warm-up images first, not counted), %d not processed"
        + " after one long poll%n", images, photo.length, warmUp, notProcessed);
    print("upload request (sent to 202)", upload);
    print("202 -> processed seen by one long poll (target p50 <= 250 ms)", seen);
    print("uploadedAt -> processedAt on the services' clocks", server);
    System.out.println("load average after: " + Load.now());
  }

  private static void print(String what, Latencies latencies) {
    System.out.printf("  %-66s p50 %6.1f ms, p90 %6.1f ms, p99 %6.1f ms, max %6.1f ms%n", what,
        latencies.percentileMs(50), latencies.percentileMs(90), latencies.percentileMs(99),
        latencies.percentileMs(100));
  }
}
