package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** EXIF Orientation 1-8 is read from the APP1 segment by hand and applied, so results come out upright. */
class ExifOrientationTest {

    private static final long LIMIT = 50_000_000L;
    private final ImageDecoder decoder = new ImageDecoder();

    // --- parsing ---

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void readsTheTagInBothByteOrders(int orientation) {
        assertThat(ExifOrientation.parse(Crafted.exifTiff(orientation, true), 0)).isEqualTo(orientation);
        assertThat(ExifOrientation.parse(Crafted.exifTiff(orientation, false), 0)).isEqualTo(orientation);
    }

    @Test
    void malformedExifMeansNoRotation() {
        byte[] good = Crafted.exifTiff(6, false);

        assertThat(ExifOrientation.parse(Crafted.exifTiff(0, false), 0)).as("value 0").isEqualTo(1);
        assertThat(ExifOrientation.parse(Crafted.exifTiff(9, false), 0)).as("value 9").isEqualTo(1);
        assertThat(ExifOrientation.parse(Crafted.exifTiff(0xFFFF, true), 0)).as("value 65535").isEqualTo(1);
        byte[] badOrder = good.clone();
        badOrder[0] = badOrder[1] = (byte) 0xFF; // as in Pillow's invalid-exif.jpg
        assertThat(ExifOrientation.parse(badOrder, 0)).as("byte order FFFF").isEqualTo(1);
        byte[] badMagic = good.clone();
        badMagic[3] = 43;
        assertThat(ExifOrientation.parse(badMagic, 0)).as("not 42").isEqualTo(1);
        byte[] ifdOutside = good.clone();
        Crafted.put32(ifdOutside, 4, 0x7FFF_FFF0, false);
        assertThat(ExifOrientation.parse(ifdOutside, 0)).as("IFD offset outside").isEqualTo(1);
        byte[] tooManyEntries = good.clone();
        Crafted.put16(tooManyEntries, 8, 0xFFFF, false);
        Crafted.put16(tooManyEntries, 10, 0x0100, false); // first entry is not Orientation, the rest runs off
        assertThat(ExifOrientation.parse(tooManyEntries, 0)).as("directory runs off").isEqualTo(1);
        byte[] twoValues = good.clone();
        Crafted.put32(twoValues, 14, 2, false);
        assertThat(ExifOrientation.parse(twoValues, 0)).as("count 2").isEqualTo(1);
        byte[] asciiType = good.clone();
        Crafted.put16(asciiType, 12, 2, false);
        assertThat(ExifOrientation.parse(asciiType, 0)).as("ASCII type").isEqualTo(1);
        for (int cut = 0; cut < 22; cut++) { // 22: the end of the Orientation entry
            assertThat(ExifOrientation.parse(Arrays.copyOf(good, cut), 0)).as("cut at %d", cut).isEqualTo(1);
        }
        assertThat(ExifOrientation.parse(Arrays.copyOf(good, 22), 0)).as("entry complete").isEqualTo(6);
        assertThat(ExifOrientation.parse(new byte[0], 0)).isEqualTo(1);
    }

    // --- the transforms, on a synthetic image whose every pixel is distinct ---

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void mapsEveryPixelAsTheExifSpecSays(int orientation) {
        int w = 5;
        int h = 3;
        BufferedImage src = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                src.setRGB(x, y, (x * 40) << 16 | (y * 80) << 8 | 7);
            }
        }

        BufferedImage out = ExifOrientation.apply(src, orientation);

        boolean swap = orientation >= 5;
        assertThat(out.getWidth()).isEqualTo(swap ? h : w);
        assertThat(out.getHeight()).isEqualTo(swap ? w : h);
        assertThat(out.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                int[] s = storedPixelShownAt(orientation, x, y, w, h);
                assertThat(out.getRGB(x, y)).as("orientation %d at (%d,%d)", orientation, x, y)
                        .isEqualTo(src.getRGB(s[0], s[1]));
            }
        }
    }

    /**
     * The reference mapping, written from the EXIF definition of where the stored image's 0th row and 0th column
     * are shown: for each orientation, (row0, col0) = (top, left), (top, right), (bottom, right), (bottom, left),
     * (left, top), (right, top), (right, bottom), (left, bottom).
     */
    private static int[] storedPixelShownAt(int orientation, int x, int y, int w, int h) {
        return switch (orientation) {
            case 1 -> new int[] {x, y};
            case 2 -> new int[] {w - 1 - x, y};
            case 3 -> new int[] {w - 1 - x, h - 1 - y};
            case 4 -> new int[] {x, h - 1 - y};
            case 5 -> new int[] {y, x};               // row 0 on the left, column 0 at the top
            case 6 -> new int[] {y, h - 1 - x};       // row 0 on the right, column 0 at the top
            case 7 -> new int[] {w - 1 - y, h - 1 - x}; // row 0 on the right, column 0 at the bottom
            case 8 -> new int[] {w - 1 - y, x};       // row 0 on the left, column 0 at the bottom
            default -> throw new IllegalArgumentException();
        };
    }

    @Test
    void orientationOneAndInvalidValuesReturnTheSameImage() {
        BufferedImage src = new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR);

        assertThat(ExifOrientation.apply(src, 1)).isSameAs(src);
        assertThat(ExifOrientation.apply(src, 0)).isSameAs(src);
        assertThat(ExifOrientation.apply(src, 9)).isSameAs(src);
    }

    @Test
    void worksOnASubImage() {
        BufferedImage big = new BufferedImage(6, 6, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                big.setRGB(x, y, x << 16 | y << 8);
            }
        }
        BufferedImage sub = big.getSubimage(1, 2, 4, 3);

        BufferedImage out = ExifOrientation.apply(sub, 6);

        assertThat(out.getWidth()).isEqualTo(3);
        assertThat(out.getHeight()).isEqualTo(4);
        assertThat(out.getRGB(0, 0) & 0xFFFFFF).isEqualTo(sub.getRGB(0, 2) & 0xFFFFFF);
        assertThat(out.getRGB(2, 3) & 0xFFFFFF).isEqualTo(sub.getRGB(3, 0) & 0xFFFFFF);
    }

    // --- real files ---

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void everyLandscapeExampleComesOutUprightLikeTheUntaggedOne(int orientation) throws Exception {
        BufferedImage reference = decode("exif-orientation-examples/Landscape_0.jpg").image();
        byte[] tagged = TestImages.bytes("exif-orientation-examples/Landscape_" + orientation + ".jpg");

        DecodedImage d = decoder.decode(new ByteArrayInputStream(tagged), LIMIT);

        assertThat(d.width()).isEqualTo(1800);
        assertThat(d.height()).isEqualTo(1200);
        assertThat(d.image().getWidth()).isEqualTo(1800);
        assertThat(d.image().getHeight()).isEqualTo(1200);
        // Each file was re-encoded separately: only JPEG noise separates them (measured 2.2-4.4).
        assertThat(meanAbsoluteError(reference, d.image())).isLessThan(6.0);
        if (orientation != 1) {
            // The same pixels left as stored would be far off: the threshold above really tells them apart.
            BufferedImage stored = TestImages.readWithImageIo(tagged);
            if (stored.getWidth() == 1800) {
                assertThat(meanAbsoluteError(reference, stored)).isGreaterThan(20.0);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8})
    void pillowsHopperOrientationsAllMatchHopper(int orientation) throws Exception {
        BufferedImage reference = decode("pillow/hopper.jpg").image();

        BufferedImage upright = decode("pillow/hopper_orientation_" + orientation + ".jpg").image();

        assertThat(meanAbsoluteError(reference, upright)).isLessThan(7.0); // measured 4.7-4.9
        BufferedImage stored = TestImages.readWithImageIo(
                TestImages.bytes("pillow/hopper_orientation_" + orientation + ".jpg"));
        assertThat(meanAbsoluteError(reference, stored)).as("as stored").isGreaterThan(20.0);
    }

    @Test
    void aTwoByOneImageWithOrientationEightComesOutOneByTwo() throws Exception {
        DecodedImage d = decode("pillow/orientation_rectangle.jpg");

        assertThat(d.width()).isEqualTo(1);
        assertThat(d.height()).isEqualTo(2);
        assertThat(d.image().getWidth()).isEqualTo(1);
        assertThat(d.image().getHeight()).isEqualTo(2);
    }

    @Test
    void thePipelineReportsTheUprightSize() throws Exception {
        ProcessedImage out = new ImagePipeline().process(TestImages.open("exif-orientation-examples/Landscape_6.jpg"),
                PipelineOptions.defaults());

        assertThat(out.width()).isEqualTo(1800);
        assertThat(out.height()).isEqualTo(1200);
        BufferedImage result = TestImages.readWithImageIo(out.result());
        assertThat(result.getWidth()).isEqualTo(1800);
        assertThat(result.getHeight()).isEqualTo(1200);
        BufferedImage thumbnail = TestImages.readWithImageIo(out.thumbnail());
        assertThat(thumbnail.getWidth()).isEqualTo(256);
        assertThat(thumbnail.getHeight()).isEqualTo(171);
    }

    @Test
    void exifWithABrokenTiffHeaderIsIgnoredNotFatal() throws Exception {
        // Pillow's invalid-exif.jpg: the TIFF header inside the Exif segment is overwritten with FF FF FF FF.
        DecodedImage d = decode("pillow/invalid-exif.jpg");

        assertThat(d.width()).isEqualTo(200);
        assertThat(d.height()).isEqualTo(200);
    }

    @Test
    void craftedCorruptExifIsIgnoredAndTheImageDecodes() throws Exception {
        byte[] hopper = TestImages.bytes("pillow/hopper.jpg");
        byte[] tiff = Crafted.exifTiff(6, true);
        Crafted.put32(tiff, 4, 0x7FFF_FFF0, true); // IFD0 offset far outside the segment
        byte[] payload = new byte[6 + tiff.length];
        System.arraycopy("Exif\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, payload, 0, 6);
        System.arraycopy(tiff, 0, payload, 6, tiff.length);
        byte[] jpeg = Crafted.withSegmentsAfterSoi(hopper, Crafted.segmentBytes(0xE1, payload));

        DecodedImage d = decoder.decode(new ByteArrayInputStream(jpeg), LIMIT);

        assertThat(meanAbsoluteError(TestImages.readWithImageIo(hopper), d.image())).isZero();
    }

    @Test
    void onlyTheFirstExifSegmentCounts() throws Exception {
        byte[] hopper = TestImages.bytes("pillow/hopper.jpg");
        byte[] jpeg = Crafted.withSegmentsAfterSoi(hopper, Crafted.exifApp1(3, false), Crafted.exifApp1(6, true));

        BufferedImage img = decoder.decode(new ByteArrayInputStream(jpeg), LIMIT).image();

        BufferedImage rotated = ExifOrientation.apply(TestImages.readWithImageIo(hopper), 3);
        assertThat(meanAbsoluteError(rotated, img)).isZero();
    }

    /**
     * Pillow's hopper_bad_exif.jpg is rejected, but not for its EXIF: its entropy-coded data is damaged (libjpeg
     * skips 1214 bytes before RST0 and the picture comes out as stripes; djpeg exits 2 with the same warning).
     * Pixel-data warnings always reject; the EXIF of this file alone would only have meant "no rotation".
     */
    @Test
    void hopperBadExifIsRejectedForItsPixelDataNotItsExif() {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decode("pillow/hopper_bad_exif.jpg"));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(RejectReason.CORRUPT);
        assertThat(e.getMessage()).contains("extraneous bytes before marker 0xd0");
    }

    private DecodedImage decode(String path) throws Exception {
        return decoder.decode(TestImages.open(path), LIMIT);
    }

    static double meanAbsoluteError(BufferedImage expected, BufferedImage actual) {
        assertThat(actual.getWidth()).isEqualTo(expected.getWidth());
        assertThat(actual.getHeight()).isEqualTo(expected.getHeight());
        long sum = 0;
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                int e = expected.getRGB(x, y);
                int a = actual.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    sum += Math.abs(((e >> shift) & 0xFF) - ((a >> shift) & 0xFF));
                }
            }
        }
        return sum / (3.0 * expected.getWidth() * expected.getHeight());
    }
}
