package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every stage gives the same picture from the R, G, B twin as from TYPE_3BYTE_BGR, and keeps the layout it was
 * given: sepia, thumbnail, orientation, the JPEG and PNG encoders.
 */
class PixelLayoutTest {

    @Test
    void recognisesBothLayoutsAndNothingElse() {
        assertThat(PixelLayout.of(new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR))).isEqualTo(PixelLayout.BGR);
        assertThat(PixelLayout.of(PixelLayout.RGB.create(3, 2))).isEqualTo(PixelLayout.RGB);
        assertThat(PixelLayout.of(PixelLayout.RGB.create(9, 7).getSubimage(1, 2, 5, 3))).isEqualTo(PixelLayout.RGB);
        assertThat(PixelLayout.of(new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB))).isNull();
        assertThat(PixelLayout.of(new BufferedImage(3, 2, BufferedImage.TYPE_4BYTE_ABGR))).isNull();
        assertThat(PixelLayout.isPlain(PixelLayout.RGB.create(9, 7))).isTrue();
        assertThat(PixelLayout.isPlain(PixelLayout.RGB.create(9, 7).getSubimage(1, 2, 5, 3))).isFalse();
    }

    @Test
    void sepiaGivesTheSamePixels() {
        BufferedImage[] twins = twins(641, 7, 1);
        SepiaFilter.applyInPlace(twins[0]);
        SepiaFilter.applyInPlace(twins[1]);
        SepiaFilter.applyInPlace(twins[2].getSubimage(3, 1, 600, 5)); // an RGB sub-image: row by row
        ReferenceSepia.applyInPlace(twins[3].getSubimage(3, 1, 600, 5));

        assertThat(rgb(twins[1])).isEqualTo(rgb(twins[0]));
        assertThat(PixelLayout.data(twins[2])).isEqualTo(PixelLayout.data(twins[3]));
    }

    @Test
    void thumbnailsAreTheSameAndKeepTheLayout() {
        BufferedImage[] twins = twins(1001, 333, 2);
        Thumbnailer thumbnailer = new Thumbnailer();

        BufferedImage fromBgr = thumbnailer.thumbnail(twins[0], 256);
        BufferedImage fromRgb = thumbnailer.thumbnail(twins[1], 256);

        assertThat(PixelLayout.of(fromRgb)).isEqualTo(PixelLayout.RGB);
        assertThat(rgb(fromRgb)).isEqualTo(rgb(fromBgr));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8})
    void orientationGivesTheSamePixelsAndKeepsTheLayout(int orientation) {
        BufferedImage[] twins = twins(31, 17, orientation);

        BufferedImage fromBgr = ExifOrientation.apply(twins[0], orientation);
        BufferedImage fromRgb = ExifOrientation.apply(twins[1], orientation);

        assertThat(PixelLayout.of(fromRgb)).isEqualTo(PixelLayout.RGB);
        assertThat(rgb(fromRgb)).isEqualTo(rgb(fromBgr));
    }

    @ParameterizedTest
    @EnumSource(JpegCodec.class)
    void jpegsAreTheSameBytes(JpegCodec codec) {
        BufferedImage[] twins = twins(333, 222, 3);
        ImageEncoder encoder = new ImageEncoder(codec);

        assertThat(encoder.encode(twins[1], OutputFormat.JPEG, 0.85f))
                .isEqualTo(encoder.encode(twins[0], OutputFormat.JPEG, 0.85f));
    }

    @Test
    void pngsAreTheSameBytes() {
        BufferedImage[] twins = twins(333, 222, 4);
        ImageEncoder encoder = new ImageEncoder();

        byte[] fromRgb = encoder.encode(twins[1], OutputFormat.PNG, 0.85f);

        assertThat(fromRgb).isEqualTo(encoder.encode(twins[0], OutputFormat.PNG, 0.85f));
        assertThat(rgb(TestImages.readWithImageIo(fromRgb))).isEqualTo(rgb(twins[1]));
    }

    @Test
    void theDecoderGivesTheSamePictureEitherWay() throws Exception {
        // ImageIO decodes JPEG and PNG into R, G, B; BMP comes as B, G, R; TurboJPEG (where installed) B, G, R.
        for (String path : new String[] {"pillow/hopper.jpg", "pngsuite/basn2c08.png", "pillow/hopper.bmp"}) {
            BufferedImage viaImageIo = new ImageDecoder(JpegCodec.IMAGEIO).decode(TestImages.open(path),
                    PipelineOptions.DEFAULT_MAX_PIXELS).image();
            assertThat(rgb(viaImageIo)).as(path).isEqualTo(rgb(TestImages.readWithImageIo(TestImages.bytes(path))));
        }
        assertThat(PixelLayout.of(new ImageDecoder(JpegCodec.IMAGEIO).decode(TestImages.open("pillow/hopper.jpg"),
                PipelineOptions.DEFAULT_MAX_PIXELS).image())).isEqualTo(PixelLayout.RGB);
    }

    /** {BGR, RGB, RGB, RGB} images of the same random pixels. */
    private static BufferedImage[] twins(int w, int h, long seed) {
        BufferedImage bgr = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        new Random(seed).nextBytes(PixelLayout.data(bgr));
        BufferedImage[] out = {bgr, PixelLayout.RGB.create(w, h), PixelLayout.RGB.create(w, h),
            PixelLayout.RGB.create(w, h)};
        byte[] src = PixelLayout.data(bgr);
        for (int k = 1; k < 4; k++) {
            byte[] dst = PixelLayout.data(out[k]);
            for (int i = 0; i < src.length; i += 3) {
                dst[i] = src[i + 2];
                dst[i + 1] = src[i + 1];
                dst[i + 2] = src[i];
            }
        }
        return out;
    }

    private static int[] rgb(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }
}
