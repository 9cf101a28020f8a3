package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ImagePipelineTest {

    private final ImagePipeline pipeline = new ImagePipeline();

    @Test
    void turnsAJpegIntoASepiaJpegWithAThumbnail() throws Exception {
        byte[] input = TestImages.bytes("pillow/hopper.jpg");

        ProcessedImage out = pipeline.process(TestImages.open("pillow/hopper.jpg"),
                new PipelineOptions(50_000_000, "auto", 0.9f, 64));

        assertThat(out.resultFormat()).isEqualTo(OutputFormat.JPEG);
        assertThat(out.inputFormat()).isEqualTo("jpeg");
        assertThat(out.width()).isEqualTo(128);
        assertThat(out.height()).isEqualTo(128);
        assertThat(out.result()).startsWith(0xFF, 0xD8, 0xFF);
        BufferedImage result = TestImages.readWithImageIo(out.result());
        assertThat(result.getWidth()).isEqualTo(128);
        assertThat(result.getHeight()).isEqualTo(128);

        // Sepia rows have decreasing weights, so r >= g >= b everywhere before JPEG; allow JPEG noise.
        int toned = 0;
        double[] mean = new double[3];
        double[] expectedMean = new double[3];
        BufferedImage original = TestImages.readWithImageIo(input);
        for (int y = 0; y < 128; y++) {
            for (int x = 0; x < 128; x++) {
                int p = result.getRGB(x, y);
                int r = (p >> 16) & 0xFF;
                int g = (p >> 8) & 0xFF;
                int b = p & 0xFF;
                if (r >= g && g >= b) {
                    toned++;
                }
                mean[0] += r;
                mean[1] += g;
                mean[2] += b;
                int o = original.getRGB(x, y);
                int[] s = SepiaFilter.sepia((o >> 16) & 0xFF, (o >> 8) & 0xFF, o & 0xFF);
                for (int c = 0; c < 3; c++) {
                    expectedMean[c] += s[c];
                }
            }
        }
        assertThat(toned).as("pixels with r >= g >= b").isGreaterThan(128 * 128 * 95 / 100);
        for (int c = 0; c < 3; c++) {
            assertThat(mean[c] / (128 * 128)).as("mean of channel %d", c)
                    .isCloseTo(expectedMean[c] / (128 * 128), Offset.offset(2.0));
        }

        assertThat(out.thumbnail()).startsWith(0xFF, 0xD8, 0xFF);
        BufferedImage thumb = TestImages.readWithImageIo(out.thumbnail());
        assertThat(thumb.getWidth()).isEqualTo(64);
        assertThat(thumb.getHeight()).isEqualTo(64);
        assertThat(out.decodeMs()).isNotNegative();
        assertThat(out.filterMs()).isNotNegative();
        assertThat(out.encodeMs()).isNotNegative();
        assertThat(out.thumbnailMs()).isNotNegative();
    }

    @Test
    void pngStaysPngAndLosslessUnderAuto() throws Exception {
        byte[] input = TestImages.bytes("pngsuite/basn2c08.png");

        ProcessedImage out = pipeline.process(TestImages.open("pngsuite/basn2c08.png"), PipelineOptions.defaults());

        assertThat(out.resultFormat()).isEqualTo(OutputFormat.PNG);
        assertThat(out.result()).startsWith(0x89, 'P', 'N', 'G');
        BufferedImage original = TestImages.readWithImageIo(input);
        BufferedImage result = TestImages.readWithImageIo(out.result());
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int o = original.getRGB(x, y);
                int[] s = SepiaFilter.sepia((o >> 16) & 0xFF, (o >> 8) & 0xFF, o & 0xFF);
                assertThat(result.getRGB(x, y) & 0xFFFFFF).as("(%d,%d)", x, y)
                        .isEqualTo((s[0] << 16) | (s[1] << 8) | s[2]);
            }
        }
        // The thumbnail is always JPEG; 32x32 fits in the default box, so it is not upscaled.
        assertThat(out.thumbnail()).startsWith(0xFF, 0xD8, 0xFF);
        assertThat(TestImages.readWithImageIo(out.thumbnail()).getWidth()).isEqualTo(32);
    }

    @Test
    void gifBecomesPngUnderAutoAndJpegWhenAsked() throws Exception {
        ProcessedImage auto = pipeline.process(TestImages.open("pillow/hopper.gif"), PipelineOptions.defaults());
        ProcessedImage jpeg = pipeline.process(TestImages.open("pillow/hopper.gif"),
                new PipelineOptions(50_000_000, "jpeg", 0.85f, 256));

        assertThat(auto.resultFormat()).isEqualTo(OutputFormat.PNG);
        assertThat(auto.inputFormat()).isEqualTo("gif");
        assertThat(jpeg.resultFormat()).isEqualTo(OutputFormat.JPEG);
        assertThat(jpeg.result()).startsWith(0xFF, 0xD8);
    }

    @Test
    void thumbnailOfALargeImageFitsTheBox() throws Exception {
        ProcessedImage out = pipeline.process(TestImages.open("libjpeg-turbo/testorig.jpg"),
                new PipelineOptions(50_000_000, "auto", 0.85f, 100));

        BufferedImage thumb = TestImages.readWithImageIo(out.thumbnail());
        assertThat(thumb.getWidth()).isEqualTo(100); // 227x149 -> 100x66
        assertThat(thumb.getHeight()).isEqualTo(66);
    }

    @Test
    void passesRejectionsThrough() {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> pipeline.process(TestImages.open("pillow/truncated_jpeg.jpg"), PipelineOptions.defaults()));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(RejectReason.CORRUPT);
    }

    @Test
    void optionsAreValidatedUpFront() {
        assertThatThrownBy(() -> new PipelineOptions(50_000_000, "tiff", 0.85f, 256))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PipelineOptions(0, "auto", 0.85f, 256))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PipelineOptions(50_000_000, "auto", 2f, 256))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PipelineOptions(50_000_000, "auto", 0.85f, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
