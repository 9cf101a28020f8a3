package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The table-driven {@link SepiaFilter} gives the same pixels as the integer formula ({@link ReferenceSepia}). */
class SepiaMatchesReferenceTest {

    @Test
    void everyOneOfThe2To24ColoursMatches() {
        int mismatches = 0;
        String first = null;
        for (int r = 0; r < 256; r++) {
            for (int g = 0; g < 256; g++) {
                for (int b = 0; b < 256; b++) {
                    int[] fast = SepiaFilter.sepia(r, g, b);
                    if (fast[0] != ReferenceSepia.red(r, g, b) || fast[1] != ReferenceSepia.green(r, g, b)
                            || fast[2] != ReferenceSepia.blue(r, g, b)) {
                        mismatches++;
                        if (first == null) {
                            first = "(" + r + "," + g + "," + b + ") -> " + Arrays.toString(fast);
                        }
                    }
                }
            }
        }
        assertThat(mismatches).as("first mismatch: %s", first).isZero();
    }

    @Test
    void randomImagesMatchEveryPixel() {
        Random random = new Random(8_2026);
        // Odd and even pixel counts (the loop takes two pixels at a time), one row, one column, a larger frame.
        int[][] sizes = {{1, 1}, {1, 7}, {7, 1}, {3, 5}, {640, 480}, {1001, 333}};
        for (int[] size : sizes) {
            BufferedImage img = new BufferedImage(size[0], size[1], BufferedImage.TYPE_3BYTE_BGR);
            random.nextBytes(data(img));
            assertSameAsReference(img, size[0] + "x" + size[1]);
        }
    }

    @Test
    void subImagesMatchAndLeaveTheRestAlone() {
        Random random = new Random(7);
        BufferedImage img = new BufferedImage(37, 23, BufferedImage.TYPE_3BYTE_BGR);
        random.nextBytes(data(img));
        BufferedImage copy = copy(img);

        SepiaFilter.applyInPlace(img.getSubimage(3, 2, 31, 17));
        ReferenceSepia.applyInPlace(copy.getSubimage(3, 2, 31, 17));

        assertThat(data(img)).isEqualTo(data(copy));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pillow/hopper.jpg", "libjpeg-turbo/testorig.jpg", "exif-orientation-examples/Landscape_6.jpg",
            "jpeg-decoder/mozilla/jpg-progressive.jpg", "pillow/hopper.gif", "pillow/hopper.bmp"})
    void realPhotosMatchEveryPixel(String path) throws Exception {
        BufferedImage decoded = new ImageDecoder().decode(TestImages.open(path), PipelineOptions.DEFAULT_MAX_PIXELS)
                .image();
        assertSameAsReference(decoded, path);
    }

    private static void assertSameAsReference(BufferedImage img, String what) {
        BufferedImage expected = copy(img);
        ReferenceSepia.applyInPlace(expected);
        byte[] before = data(img).clone();

        SepiaFilter.applyInPlace(img);

        assertThat(data(img)).as("%s: the filter changed the pixels", what).isNotEqualTo(before);
        assertThat(data(img)).as(what).isEqualTo(data(expected));
    }

    /** A copy in the same layout (the decoder gives R, G, B on the ImageIO path, B, G, R on TurboJPEG's). */
    private static BufferedImage copy(BufferedImage img) {
        BufferedImage out = PixelLayout.of(img).create(img.getWidth(), img.getHeight());
        System.arraycopy(data(img), 0, data(out), 0, data(img).length);
        return out;
    }

    private static byte[] data(BufferedImage img) {
        return ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
    }
}
