package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ImageEncoderTest {

    private final ImageEncoder encoder = new ImageEncoder();

    @Test
    void jpegStartsWithSoiAndJfifAndDecodes() {
        BufferedImage src = gradient(120, 80);

        byte[] jpeg = encoder.encode(src, OutputFormat.JPEG, ImageEncoder.DEFAULT_JPEG_QUALITY);

        assertThat(jpeg[0] & 0xFF).isEqualTo(0xFF);
        assertThat(jpeg[1] & 0xFF).isEqualTo(0xD8);
        // Right after SOI comes the writer's own JFIF APP0 (FF E0): no metadata was carried over.
        assertThat(jpeg[3] & 0xFF).isEqualTo(0xE0);
        BufferedImage back = TestImages.readWithImageIo(jpeg);
        assertThat(back.getWidth()).isEqualTo(120);
        assertThat(back.getHeight()).isEqualTo(80);
        int expected = src.getRGB(60, 40);
        int actual = back.getRGB(60, 40);
        for (int shift = 0; shift <= 16; shift += 8) {
            assertThat(Math.abs(((actual >> shift) & 0xFF) - ((expected >> shift) & 0xFF))).isLessThanOrEqualTo(8);
        }
    }

    @Test
    void writesNoExifOrOtherAppSegmentsButJfif() {
        byte[] jpeg = encoder.encode(gradient(64, 64), OutputFormat.JPEG, 0.85f);

        for (int i = 0; i + 1 < jpeg.length; i++) {
            int marker = ((jpeg[i] & 0xFF) << 8) | (jpeg[i + 1] & 0xFF);
            assertThat(marker >= 0xFFE1 && marker <= 0xFFEF).as("APPn marker at %d", i).isFalse();
        }
    }

    @Test
    void lowerQualityGivesFewerBytes() throws Exception {
        BufferedImage photo = new ImageDecoder().decode(TestImages.open("pillow/hopper.jpg"), 1_000_000).image();

        int low = encoder.encode(photo, OutputFormat.JPEG, 0.3f).length;
        int high = encoder.encode(photo, OutputFormat.JPEG, 0.95f).length;

        assertThat(low).isLessThan(high);
    }

    @Test
    void pngIsLossless() {
        BufferedImage src = gradient(50, 30);

        byte[] png = encoder.encode(src, OutputFormat.PNG, 0.85f);

        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        BufferedImage back = TestImages.readWithImageIo(png);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 50; x++) {
                assertThat(back.getRGB(x, y)).isEqualTo(src.getRGB(x, y));
            }
        }
    }

    @Test
    void refusesQualityOutsideZeroToOne() {
        BufferedImage src = gradient(2, 2);
        assertThatThrownBy(() -> encoder.encode(src, OutputFormat.JPEG, 1.5f))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> encoder.encode(src, OutputFormat.JPEG, Float.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void outputFormatsKnowTheirContentTypeAndExtension() {
        assertThat(OutputFormat.JPEG.contentType()).isEqualTo("image/jpeg");
        assertThat(OutputFormat.JPEG.extension()).isEqualTo("jpg");
        assertThat(OutputFormat.PNG.contentType()).isEqualTo("image/png");
        assertThat(OutputFormat.PNG.extension()).isEqualTo("png");
    }

    @Test
    void choosesTheOutputFormat() {
        assertThat(OutputFormat.choose("jpeg", "png")).isEqualTo(OutputFormat.JPEG);
        assertThat(OutputFormat.choose("png", "jpeg")).isEqualTo(OutputFormat.PNG);
        assertThat(OutputFormat.choose("auto", "jpeg")).isEqualTo(OutputFormat.JPEG);
        assertThat(OutputFormat.choose("auto", "png")).isEqualTo(OutputFormat.PNG);
        assertThat(OutputFormat.choose("auto", "gif")).isEqualTo(OutputFormat.PNG);
        assertThat(OutputFormat.choose("auto", "bmp")).isEqualTo(OutputFormat.PNG);
        assertThat(OutputFormat.choose("AUTO", "jpeg")).isEqualTo(OutputFormat.JPEG);
        assertThatThrownBy(() -> OutputFormat.choose("webp", "jpeg")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OutputFormat.choose(null, "jpeg")).isInstanceOf(IllegalArgumentException.class);
    }

    static BufferedImage gradient(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((x * 255 / Math.max(1, w - 1)) << 16) | ((y * 255 / Math.max(1, h - 1)) << 8) | 128);
            }
        }
        return img;
    }
}
