package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TurboJPEG (where Debian's libturbojpeg-java is installed) gives what the ImageIO path gives: the same pixels of
 * every JPEG of the corpus, or the same rejection. Skipped where it is not installed, where ImageIO does it all.
 */
class TurboJpegTest {

    private final ImageDecoder turbo = new ImageDecoder(JpegCodec.AUTO);
    private final ImageDecoder imageIo = new ImageDecoder(JpegCodec.IMAGEIO);

    @BeforeAll
    static void needsTurboJpeg() {
        assumeTrue(TurboJpeg.system().isPresent(), "libturbojpeg-java is not installed");
    }

    @Test
    void everyJpegOfTheCorpusDecodesToTheSamePixelsOrTheSameRejection() throws Exception {
        List<String> viaTurbo = new ArrayList<>();
        for (Path file : corpusJpegs()) {
            byte[] bytes = Files.readAllBytes(file);
            Outcome expected = decode(imageIo, bytes);
            Outcome actual = decode(turbo, bytes);
            assertThat(actual.rejected).as("%s: rejected", file).isEqualTo(expected.rejected);
            if (expected.image != null) {
                assertThat(PixelLayout.of(actual.image)).as("%s", file).isNotNull();
                assertThat(actual.image.getWidth()).as("%s", file).isEqualTo(expected.image.getWidth());
                assertThat(actual.image.getHeight()).as("%s", file).isEqualTo(expected.image.getHeight());
                // TurboJPEG gives B, G, R bytes, the ImageIO path R, G, B (PixelLayout): compare the pixels.
                assertThat(rgb(actual.image)).as("%s: pixels", file).isEqualTo(rgb(expected.image));
            }
            if (ImageDecoder.turboDecodes(JpegHeader.scan(
                    new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))))) {
                viaTurbo.add(file.getFileName().toString());
            }
        }
        // The comparison means something only if TurboJPEG took most of them (not CMYK, ICC, Adobe, 12-bit).
        assertThat(viaTurbo).as("decoded by TurboJPEG").hasSizeGreaterThanOrEqualTo(15)
                .contains("hopper.jpg", "hopper_gray.jpg", "jpg-progressive.jpg", "Landscape_6.jpg", "restarts.jpg");
    }

    @Test
    void cutAndDamagedJpegsAreRejectedAsOnTheImageIoPath() throws Exception {
        byte[] photo = TestImages.bytes("libjpeg-turbo/testorig.jpg");
        byte[] progressive = TestImages.bytes("jpeg-decoder/mozilla/jpg-progressive.jpg");
        List<byte[]> broken = new ArrayList<>();
        for (int cut : new int[] {photo.length / 3, photo.length / 2, photo.length - 10, photo.length - 2}) {
            broken.add(Arrays.copyOf(photo, cut));
        }
        broken.add(Arrays.copyOf(progressive, progressive.length * 2 / 3));
        for (int at : new int[] {photo.length / 2, photo.length * 3 / 4}) {
            byte[] damaged = photo.clone();
            for (int i = at; i < at + 40; i++) {
                damaged[i] = (byte) 0xFF; // runs of 0xFF in entropy-coded data: markers where none belong
            }
            broken.add(damaged);
        }
        for (byte[] bytes : broken) {
            Outcome expected = decode(imageIo, bytes);
            Outcome actual = decode(turbo, bytes);
            assertThat(expected.rejected).as("ImageIO on %d bytes", bytes.length).isEqualTo(RejectReason.CORRUPT);
            assertThat(actual.rejected).as("TurboJPEG on %d bytes", bytes.length).isEqualTo(RejectReason.CORRUPT);
            assertThat(actual.message).startsWith("the jpeg data is corrupt");
        }
    }

    @Test
    void encodesWhatTheJdkWriterEncodesToWithinRounding() throws Exception {
        BufferedImage photo = imageIo.decode(TestImages.open("exif-orientation-examples/Landscape_1.jpg"),
                PipelineOptions.DEFAULT_MAX_PIXELS).image();

        byte[] viaTurbo = new ImageEncoder(JpegCodec.AUTO).encode(photo, OutputFormat.JPEG, 0.85f);
        byte[] viaJdk = new ImageEncoder(JpegCodec.IMAGEIO).encode(photo, OutputFormat.JPEG, 0.85f);

        assertThat(viaTurbo).isNotEqualTo(viaJdk); // a different encoder did write it
        assertThat((double) viaTurbo.length).isCloseTo(viaJdk.length, org.assertj.core.data.Percentage.withPercentage(1));
        byte[] a = data(TestImages.readWithImageIo(viaTurbo));
        byte[] b = data(TestImages.readWithImageIo(viaJdk));
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            int d = Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
            sum += d;
            max = Math.max(max, d);
        }
        // Measured 0.06 here and 0.004 on a 13.4 MP photo: the quantisation tables differ by a rounding or two.
        assertThat((double) sum / a.length).as("mean difference of the decoded results").isLessThan(0.15);
        assertThat(max).as("largest difference (one coefficient rounded the other way)").isLessThanOrEqualTo(16);
    }

    private record Outcome(BufferedImage image, RejectReason rejected, String message) {
    }

    private static Outcome decode(ImageDecoder decoder, byte[] bytes) throws IOException {
        try {
            return new Outcome(decoder.decode(new ByteArrayInputStream(bytes), PipelineOptions.DEFAULT_MAX_PIXELS)
                    .image(), null, null);
        } catch (ImageRejectedException e) {
            return new Outcome(null, e.reason(), e.getMessage());
        }
    }

    private static List<Path> corpusJpegs() throws IOException, URISyntaxException {
        Path root = Path.of(TurboJpegTest.class.getResource("/images").toURI());
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().toLowerCase().matches(".*\\.jpe?g$")).sorted().toList();
        }
    }

    private static int[] rgb(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    private static byte[] data(BufferedImage img) {
        return ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
    }
}
