package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ThumbnailerTest {

    private final Thumbnailer thumbnailer = new Thumbnailer();

    @Test
    void fitsLandscapeWithinTheBoxKeepingAspect() {
        BufferedImage thumb = thumbnailer.thumbnail(solid(400, 200, new Color(200, 100, 50)), 256);

        assertThat(thumb.getWidth()).isEqualTo(256);
        assertThat(thumb.getHeight()).isEqualTo(128);
        assertThat(thumb.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
    }

    @Test
    void fitsPortraitWithinTheBoxKeepingAspect() {
        BufferedImage thumb = thumbnailer.thumbnail(solid(300, 900, Color.BLUE), 90);

        assertThat(thumb.getWidth()).isEqualTo(30);
        assertThat(thumb.getHeight()).isEqualTo(90);
    }

    @Test
    void keepsAtLeastOnePixelOfAThinStrip() {
        BufferedImage thumb = thumbnailer.thumbnail(solid(5000, 3, Color.RED), 256);

        assertThat(thumb.getWidth()).isEqualTo(256);
        assertThat(thumb.getHeight()).isEqualTo(1);
    }

    @Test
    void keepsColoursOfAFlatArea() {
        BufferedImage thumb = thumbnailer.thumbnail(solid(1000, 1000, new Color(200, 100, 50)), 64);

        int rgb = thumb.getRGB(32, 32);
        assertThat((rgb >> 16) & 0xFF).isBetween(198, 202);
        assertThat((rgb >> 8) & 0xFF).isBetween(98, 102);
        assertThat(rgb & 0xFF).isBetween(48, 52);
    }

    @Test
    void neverUpscalesAndReturnsACopy() {
        BufferedImage src = solid(100, 50, Color.GREEN);

        BufferedImage thumb = thumbnailer.thumbnail(src, 256);

        assertThat(thumb).isNotSameAs(src);
        assertThat(thumb.getWidth()).isEqualTo(100);
        assertThat(thumb.getHeight()).isEqualTo(50);
        assertThat(thumb.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
        assertThat(thumb.getRGB(10, 10)).isEqualTo(src.getRGB(10, 10));
    }

    @ParameterizedTest
    @CsvSource({"libjpeg-turbo/testorig.jpg, 64", "exif-orientation-examples/Landscape_1.jpg, 256",
            "exif-orientation-examples/Landscape_1.jpg, 97", "pillow/hopper.jpg, 50", "pillow/hopper.bmp, 17"})
    void realPhotosComeOutAsAwtsAreaAveragingMakesThem(String path, int maxSize) throws Exception {
        BufferedImage src = new ImageDecoder().decode(TestImages.open(path), PipelineOptions.DEFAULT_MAX_PIXELS)
                .image();

        BufferedImage thumb = thumbnailer.thumbnail(src, maxSize);

        BufferedImage reference = awtAreaAverage(src, thumb.getWidth(), thumb.getHeight());
        double[] error = error(thumb, reference);
        assertThat(error[0]).as("mean error, in levels").isLessThan(0.6);
        assertThat(error[1]).as("largest error, in levels").isLessThanOrEqualTo(2);
    }

    @ParameterizedTest
    @CsvSource({"libjpeg-turbo/testorig.jpg, 64", "exif-orientation-examples/Landscape_1.jpg, 256",
            "exif-orientation-examples/Landscape_1.jpg, 97", "pillow/hopper.jpg, 50"})
    void realPhotosStayCloseToALanczosDownscale(String path, int maxSize) throws Exception {
        BufferedImage src = new ImageDecoder().decode(TestImages.open(path), PipelineOptions.DEFAULT_MAX_PIXELS)
                .image();

        BufferedImage thumb = thumbnailer.thumbnail(src, maxSize);

        // A box is softer than Lanczos: measured mean differences 1.3-3.3 levels at these small reductions
        // (2.3x-3.5x), 0.4-1.4 at a thumbnail's (7.5x-16.5x, the bench photos).
        double[] error = error(thumb, lanczos3(src, thumb.getWidth(), thumb.getHeight()));
        assertThat(error[0]).as("mean error, in levels").isLessThan(3.5);
    }

    @Test
    void oddRatiosOfRandomPixelsMatchAwtsAreaAveraging() {
        Random random = new Random(8);
        // {width, height, box}; the last two put over 257 source rows into one thumbnail row (no 16-bit lanes).
        int[][] cases = {{1001, 333, 256}, {257, 256, 256}, {300, 1000, 256}, {4000, 7, 256}, {3, 70_000, 256},
            {1000, 5000, 16}};
        for (int[] c : cases) {
            BufferedImage src = new BufferedImage(c[0], c[1], BufferedImage.TYPE_3BYTE_BGR);
            random.nextBytes(((java.awt.image.DataBufferByte) src.getRaster().getDataBuffer()).getData());

            BufferedImage thumb = thumbnailer.thumbnail(src, c[2]);

            double[] error = error(thumb, awtAreaAverage(src, thumb.getWidth(), thumb.getHeight()));
            assertThat(error[1]).as("largest error of %dx%d in %d px, in levels", c[0], c[1], c[2])
                    .isLessThanOrEqualTo(1);
        }
    }

    @Test
    void aFinePatternAveragesToGreyInsteadOfAliasing() {
        // One-pixel black and white checks: nearest neighbour would pick all black or all white (or stripes).
        BufferedImage checks = new BufferedImage(1000, 1000, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 1000; y++) {
            for (int x = 0; x < 1000; x++) {
                checks.setRGB(x, y, (x + y) % 2 == 0 ? 0xFFFFFF : 0);
            }
        }

        BufferedImage thumb = thumbnailer.thumbnail(checks, 64);

        for (int y = 0; y < thumb.getHeight(); y++) {
            for (int x = 0; x < thumb.getWidth(); x++) {
                assertThat(thumb.getRGB(x, y) & 0xFF).as("(%d,%d)", x, y).isBetween(124, 131);
            }
        }
    }

    @Test
    void scalesOnlyTheSubImageItIsGiven() {
        BufferedImage img = solid(600, 600, Color.BLUE);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(100, 100, 400, 200);
        g.dispose();

        BufferedImage thumb = thumbnailer.thumbnail(img.getSubimage(100, 100, 400, 200), 100);

        assertThat(thumb.getWidth()).isEqualTo(100);
        assertThat(thumb.getHeight()).isEqualTo(50);
        for (int y = 0; y < 50; y++) {
            for (int x = 0; x < 100; x++) {
                assertThat(thumb.getRGB(x, y) & 0xFFFFFF).as("(%d,%d)", x, y).isEqualTo(0xFF0000);
            }
        }
    }

    /** AWT's own area-averaging filter (ReplicateScaleFilter's sibling), an independent reference. */
    private static BufferedImage awtAreaAverage(BufferedImage src, int w, int h) {
        Image scaled = src.getScaledInstance(w, h, Image.SCALE_AREA_AVERAGING);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        g.drawImage(scaled, 0, 0, null);
        g.dispose();
        return out;
    }

    /**
     * The high-quality reference: a separable Lanczos-3 filter stretched by the reduction (so it also
     * low-passes, as ImageMagick's and libvips' resize do), in doubles, straight from the full-size image.
     */
    private static BufferedImage lanczos3(BufferedImage src, int tw, int th) {
        int w = src.getWidth();
        int h = src.getHeight();
        int[] pixels = src.getRGB(0, 0, w, h, null, 0, w);
        double[][] rows = new double[h][3 * tw];
        for (int y = 0; y < h; y++) {
            for (int c = 0; c < 3; c++) {
                int shift = 8 * c;
                int row = y * w;
                double[] line = resample(w, tw, x -> (pixels[row + x] >> shift) & 0xFF);
                for (int x = 0; x < tw; x++) {
                    rows[y][3 * x + c] = line[x];
                }
            }
        }
        BufferedImage out = new BufferedImage(tw, th, BufferedImage.TYPE_3BYTE_BGR);
        for (int x = 0; x < tw; x++) {
            int[] rgb = new int[th];
            for (int c = 0; c < 3; c++) {
                int col = 3 * x + c;
                double[] line = resample(h, th, y -> rows[y][col]);
                for (int y = 0; y < th; y++) {
                    rgb[y] |= (int) Math.max(0, Math.min(255, Math.round(line[y]))) << (8 * c);
                }
            }
            for (int y = 0; y < th; y++) {
                out.setRGB(x, y, rgb[y]);
            }
        }
        return out;
    }

    private static double[] resample(int n, int m, java.util.function.IntToDoubleFunction sample) {
        double scale = (double) n / m;
        double support = 3 * scale;
        double[] out = new double[m];
        for (int i = 0; i < m; i++) {
            double centre = (i + 0.5) * scale;
            double sum = 0;
            double weights = 0;
            for (int j = (int) Math.floor(centre - support); j <= (int) Math.ceil(centre + support); j++) {
                double t = (j + 0.5 - centre) / scale;
                double weight = Math.abs(t) < 3 ? sinc(t) * sinc(t / 3) : 0;
                sum += weight * sample.applyAsDouble(Math.max(0, Math.min(n - 1, j)));
                weights += weight;
            }
            out[i] = sum / weights;
        }
        return out;
    }

    private static double sinc(double x) {
        return x == 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    }

    /** {mean, max} absolute difference per channel, in levels. */
    private static double[] error(BufferedImage a, BufferedImage b) {
        assertThat(a.getWidth()).isEqualTo(b.getWidth());
        assertThat(a.getHeight()).isEqualTo(b.getHeight());
        long sum = 0;
        int max = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    int d = Math.abs(((p >> shift) & 0xFF) - ((q >> shift) & 0xFF));
                    sum += d;
                    max = Math.max(max, d);
                }
            }
        }
        return new double[] {(double) sum / (3L * a.getWidth() * a.getHeight()), max};
    }

    private static BufferedImage solid(int w, int h, Color color) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }
}
