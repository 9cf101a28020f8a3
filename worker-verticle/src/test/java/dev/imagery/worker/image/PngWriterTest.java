package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** Our PNG writer: lossless, standard (the JDK's reader reads it back exactly), and nothing but the pixels. */
class PngWriterTest {

    @Test
    void randomImagesOfOddSizesComeBackExactly() {
        Random random = new Random(6);
        int[][] sizes = {{1, 1}, {1, 9}, {9, 1}, {333, 77}, {1000, 3}};
        for (int[] size : sizes) {
            BufferedImage img = new BufferedImage(size[0], size[1], BufferedImage.TYPE_3BYTE_BGR);
            random.nextBytes(((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData());

            BufferedImage back = TestImages.readWithImageIo(write(img));

            assertSamePixels(back, img, size[0] + "x" + size[1]);
        }
    }

    @Test
    void aPhotoComesBackExactlyAndNoLargerThanTheJdkWritersPng() throws Exception {
        BufferedImage photo = new ImageDecoder().decode(TestImages.open("exif-orientation-examples/Landscape_1.jpg"),
                PipelineOptions.DEFAULT_MAX_PIXELS).image();
        SepiaFilter.applyInPlace(photo);

        byte[] png = write(photo);

        assertSamePixels(TestImages.readWithImageIo(png), photo, "photo");
        // The JDK's writer: all five filters tried per row, zlib level 4; ours: Up and level 1, within 5%.
        ByteArrayOutputStream jdk = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(photo, "png", jdk);
        assertThat((double) png.length).isLessThan(jdk.size() * 1.05);
    }

    @Test
    void writesOnlyTheSubImageItIsGiven() {
        BufferedImage img = new BufferedImage(50, 40, BufferedImage.TYPE_3BYTE_BGR);
        new Random(1).nextBytes(((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData());
        BufferedImage sub = img.getSubimage(7, 5, 31, 17);

        assertSamePixels(TestImages.readWithImageIo(write(sub)), sub, "sub-image");
    }

    @Test
    void holdsOnlyHeaderPixelsAndEndWithValidCrcs() {
        BufferedImage img = new BufferedImage(700, 300, BufferedImage.TYPE_3BYTE_BGR);
        new Random(2).nextBytes(((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData());
        ByteBuffer png = ByteBuffer.wrap(write(img));

        png.position(8);
        List<String> types = new ArrayList<>();
        while (png.hasRemaining()) {
            int length = png.getInt();
            byte[] typeAndData = new byte[4 + length];
            png.get(typeAndData);
            CRC32 crc = new CRC32();
            crc.update(typeAndData);
            String type = new String(typeAndData, 0, 4, StandardCharsets.US_ASCII);
            assertThat(png.getInt()).as("CRC of %s", type).isEqualTo((int) crc.getValue());
            if (types.isEmpty() || !types.get(types.size() - 1).equals(type)) {
                types.add(type);
            }
        }
        // 630 kB of random pixels: several IDAT chunks, one run of them.
        assertThat(types).containsExactly("IHDR", "IDAT", "IEND");
    }

    private static byte[] write(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PngWriter.write(img, out);
        return out.toByteArray();
    }

    private static void assertSamePixels(BufferedImage actual, BufferedImage expected, String what) {
        assertThat(actual.getWidth()).as(what).isEqualTo(expected.getWidth());
        assertThat(actual.getHeight()).as(what).isEqualTo(expected.getHeight());
        int[] a = actual.getRGB(0, 0, actual.getWidth(), actual.getHeight(), null, 0, actual.getWidth());
        int[] e = expected.getRGB(0, 0, expected.getWidth(), expected.getHeight(), null, 0, expected.getWidth());
        assertThat(a).as(what).isEqualTo(e);
    }
}
