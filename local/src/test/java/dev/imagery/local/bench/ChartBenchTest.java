package dev.imagery.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench/chart.sh's drawing, and the results the bench/ scripts have committed. */
class ChartBenchTest {

  private static final Path COMMITTED = Path.of("..", "bench", "results").toAbsolutePath().normalize();

  @Test
  void drawsOneBarPerResultColouredByWhetherItsTargetIsMet(@TempDir Path dir) throws IOException {
    write(dir, "a-met", 2.71, 2, "");
    write(dir, "b-missed", 0.6, 0.9, "");
    write(dir, "c-missed-copied", 0.27, 0.85, ", \"source\": \"docs/benchmarks.md, 2026-12-01\"");
    Path png = dir.resolve("out/chart.png");

    List<ChartBench.Result> results = ChartBench.readAll(dir);
    ChartBench.draw(results, png);

    assertThat(results).extracting(ChartBench.Result::name).containsExactly("a-met", "b-missed", "c-missed-copied");
    assertThat(results).extracting(ChartBench.Result::met).containsExactly(true, false, false);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1500);
    assertThat(image.getHeight()).isGreaterThan(300);
    // The met bar is solid green, the missed one solid red, the missed one copied from a document pale red (red
    // over white); the legend's swatches are a few dozen pixels each.
    assertThat(count(image, ChartBench.MET.getRGB())).as("green pixels").isGreaterThan(5_000);
    assertThat(count(image, ChartBench.MISSED.getRGB())).as("solid red pixels").isGreaterThan(5_000);
    assertThat(countPaleRed(image)).as("pale red pixels").isGreaterThan(1_000);
  }

  @Test
  void aResultWithoutItsRatioIsRejectedByName(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("broken.json");
    Files.writeString(file, "{\"name\": \"broken\", \"target\": 1, \"peer\": \"x\", \"measured_at\": \"2026-12-01T00:00:00Z\"}");

    assertThatThrownBy(() -> ChartBench.read(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("broken.json").hasMessageContaining("\"ratio\"");
  }

  @Test
  void everyCommittedResultIsOneTheChartCanDraw() throws IOException {
    List<ChartBench.Result> results = ChartBench.readAll(COMMITTED);

    assertThat(results).extracting(ChartBench.Result::name)
        .contains("pipeline-jpeg-baseline-13mp", "worker-throughput", "upload-throughput", "upload-concurrency",
            "api-rate", "processed-latency");
    assertThat(results).allSatisfy(r -> {
      assertThat(r.ratio()).as(r.name()).isPositive();
      assertThat(r.target()).as(r.name()).isPositive();
    });
  }

  private static void write(Path dir, String name, double ratio, double target, String moreDetails)
      throws IOException {
    Files.writeString(dir.resolve(name + ".json"), String.format(java.util.Locale.ROOT,
        "{\"name\": \"%s\", \"ratio\": %s, \"target\": %s, \"peer\": \"a peer\", \"measured_at\":"
            + " \"2026-12-01T15:20:00Z\", \"load_average\": [1.5, 2, 3], \"details\": {\"label\": \"%s\"%s}}",
        name, ratio, target, name, moreDetails));
  }

  private static int count(BufferedImage image, int argb) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        n += image.getRGB(x, y) == argb ? 1 : 0;
      }
    }
    return n;
  }

  private static int countPaleRed(BufferedImage image) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        int r = rgb >> 16 & 0xff;
        int g = rgb >> 8 & 0xff;
        int b = rgb & 0xff;
        n += r > 200 && g > 120 && g < 190 && b > 120 && b < 190 ? 1 : 0;
      }
    }
    return n;
  }
}
