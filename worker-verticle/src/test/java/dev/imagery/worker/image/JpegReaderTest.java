package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JPEG reader we pick (TwelveMonkeys), CMYK/YCCK, which warnings reject, and our own SOF check: the ImageIO
 * path, which TurboJPEG's replaces for most JPEGs where it is installed (TurboJpegTest compares the two).
 */
class JpegReaderTest {

    private static final long LIMIT = 50_000_000L;
    private final ImageDecoder decoder = new ImageDecoder(JpegCodec.IMAGEIO);

    // --- which reader ---

    @Test
    void jpegsAreReadByTwelveMonkeysAheadOfTheJdk() throws Exception {
        ImageReader reader = readerFor(TestImages.bytes("pillow/hopper.jpg"), true);
        try {
            assertThat(reader.getClass().getName())
                    .isEqualTo("com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReader");
        } finally {
            reader.dispose();
        }
    }

    @Test
    void theJdkReaderIsPickedWhenAskedFor() throws Exception {
        ImageReader reader = readerFor(TestImages.bytes("pillow/hopper.jpg"), false);
        try {
            assertThat(reader.getClass().getName()).isEqualTo("com.sun.imageio.plugins.jpeg.JPEGImageReader");
        } finally {
            reader.dispose();
        }
    }

    @Test
    void otherFormatsKeepTheJdkReader() throws Exception {
        ImageReader reader = readerFor(TestImages.bytes("pngsuite/basn2c08.png"), true);
        try {
            assertThat(reader.getClass().getName()).startsWith("com.sun.imageio.plugins.png.");
        } finally {
            reader.dispose();
        }
    }

    private static ImageReader readerFor(byte[] data, boolean preferTwelveMonkeys) throws Exception {
        SourceTrackingInputStream source = new SourceTrackingInputStream(new ByteArrayInputStream(data));
        ImageInputStream iis = new MemoryCacheImageInputStream(source);
        return ImageDecoder.findReader(iis, source, java.util.Arrays.copyOf(data, 16), preferTwelveMonkeys);
    }

    // --- CMYK and YCCK ---

    @Test
    void ycckJpegDecodesToRgbCloseToTheSamePictureSavedAsRgb() throws Exception {
        // pil_sample_cmyk.jpg (YCCK, Adobe transform 2, no ICC profile) and pil_sample_rgb.jpg hold one picture.
        BufferedImage rgb = decoder.decode(TestImages.open("pillow/pil_sample_rgb.jpg"), LIMIT).image();

        DecodedImage cmyk = decoder.decode(TestImages.open("pillow/pil_sample_cmyk.jpg"), LIMIT);

        assertThat(PixelLayout.of(cmyk.image())).as("TYPE_3BYTE_BGR or its RGB twin").isNotNull();
        assertThat(cmyk.width()).isEqualTo(100);
        assertThat(ExifOrientationTest.meanAbsoluteError(rgb, cmyk.image())).isLessThan(8.0); // measured 5.3
    }

    @Test
    void plainAdobeCmykJpegsComeOutInTheirColours() throws Exception {
        // mozilla's jpg-cmyk-2.jpg: the words cyan, yellow, magenta and black on white (inverted Adobe CMYK).
        BufferedImage img = decoder.decode(TestImages.open("jpeg-decoder/mozilla/jpg-cmyk-2.jpg"), LIMIT).image();

        assertThat(img.getWidth()).isEqualTo(256);
        int white = 0;
        int cyan = 0;
        int yellow = 0;
        int magenta = 0;
        int black = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                int r = (p >> 16) & 0xFF;
                int g = (p >> 8) & 0xFF;
                int b = p & 0xFF;
                if (r > 230 && g > 230 && b > 230) {
                    white++;
                } else if (r < 120 && g > 180 && b > 180) {
                    cyan++;
                } else if (r > 180 && g > 180 && b < 120) {
                    yellow++;
                } else if (r > 180 && g < 120 && b > 180) {
                    magenta++;
                } else if (r < 60 && g < 60 && b < 60) {
                    black++;
                }
            }
        }
        assertThat(white).as("white background").isGreaterThan(256 * 256 * 85 / 100);
        // Thin anti-aliased letters: a few dozen saturated pixels each (measured 35 yellow and more of the rest).
        assertThat(cyan).as("cyan text").isGreaterThan(20);
        assertThat(yellow).as("yellow text").isGreaterThan(20);
        assertThat(magenta).as("magenta text").isGreaterThan(20);
        assertThat(black).as("black text").isGreaterThan(20);
    }

    @Test
    void aSmallCmykGradientHasItsColoursInTheCorners() throws Exception {
        // mozilla's jpg-cmyk-1.jpg: yellow top left, green top right, red bottom left, blue bottom right.
        BufferedImage img = decoder.decode(TestImages.open("jpeg-decoder/mozilla/jpg-cmyk-1.jpg"), LIMIT).image();

        assertThat(dominant(img.getRGB(1, 1))).isEqualTo("yellow");
        assertThat(dominant(img.getRGB(30, 1))).isEqualTo("green");
        assertThat(dominant(img.getRGB(1, 30))).isEqualTo("red");
        assertThat(dominant(img.getRGB(30, 30))).isEqualTo("blue");
    }

    private static String dominant(int rgb) {
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        if (r > 180 && g > 180 && b < 100) {
            return "yellow";
        }
        if (r > 180 && g < 100 && b < 100) {
            return "red";
        }
        if (g > 180 && r < 100 && b < 100) {
            return "green";
        }
        if (b > 180 && r < 100 && g < 100) {
            return "blue";
        }
        return String.format("#%06x", rgb & 0xFFFFFF);
    }

    @Test
    void aCmykJpegBecomesASepiaJpeg() throws Exception {
        ProcessedImage out = new ImagePipeline().process(TestImages.open("pillow/pil_sample_cmyk.jpg"),
                PipelineOptions.defaults());

        assertThat(out.resultFormat()).isEqualTo(OutputFormat.JPEG);
        assertThat(TestImages.readWithImageIo(out.result()).getWidth()).isEqualTo(100);
    }

    // --- warnings ---

    @Test
    void aTruncatedJpegIsStillCorruptWithTwelveMonkeys() {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(TestImages.open("pillow/truncated_jpeg.jpg"), LIMIT));

        assertThat(e.reason()).isEqualTo(RejectReason.CORRUPT);
        assertThat(e.getMessage()).isEqualTo("the jpeg data is corrupt: Truncated File - Missing EOI marker");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "jpeg-decoder/partial_progressive.jpg|Corrupt JPEG data: premature end of data segment",
        "pillow/truncated_app14.jpg|Corrupt JPEG data: 1 extraneous bytes before marker 0xdb",
        "pillow/hopper_bad_exif.jpg|Corrupt JPEG data: 1214 extraneous bytes before marker 0xd0",
    })
    void pixelDataWarningsRejectEvenNextToMetadataWarnings(String path, String warning) {
        // partial_progressive also warns about its ICC profile, truncated_app14 about its APP14: those alone would
        // be ignored, the pixel-data warning is not.
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(TestImages.open(path), LIMIT));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(RejectReason.CORRUPT);
        assertThat(e.getMessage()).isEqualTo("the jpeg data is corrupt: " + warning);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Embedded color profile is invalid; ignored",
        "No embedded ICC color profile, will convert using inaccurate CMYK to RGB conversion. Colors may look incorrect.",
        "Bad 'ICC_PROFILE' chunk(s): LCMS error 13: Couldn't link the profiles. Ignoring ICC profile.",
        "Bogus APP14/Adobe segment, ignoring",
        "Invalid Adobe App14 marker. Indicates YCCK data, but SOF0 has 3 color component(s). Ignoring Adobe App14 marker.",
        "JFIF markers not allowed in JFIF JPEG thumbnail; ignored",
    })
    void metadataOnlyWarningsAreTolerated(String warning) {
        assertThat(ImageDecoder.isMetadataOnly(warning)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Truncated File - Missing EOI marker",
        "Corrupt JPEG data: premature end of data segment",
        "Corrupt JPEG data: 3 extraneous bytes before marker 0xd9",
        "Corrupt JPEG data: Bad segment length",
        "Inconsistent progression sequence for component 0 coefficient 0",
        "16 bit DQT encountered",
        "Premature end of JPEG file",
        " ",
    })
    void pixelDataWarningsAreNot(String warning) {
        assertThat(ImageDecoder.isMetadataOnly(warning)).isFalse();
    }

    // --- 16-bit quantisation tables ---

    @ParameterizedTest
    @ValueSource(strings = {"pillow/hopper_16bit_qtables.jpg", "jpeg-decoder/16bit-qtables.jpg"})
    void sixteenBitTablesWithLargeEntriesAreDecodedByTheJdkExactly(String path) throws Exception {
        byte[] data = TestImages.bytes(path);

        BufferedImage img = decoder.decode(new ByteArrayInputStream(data), LIMIT).image();

        BufferedImage jdk = jdkRead(data);
        assertThat(ExifOrientationTest.meanAbsoluteError(jdk, img)).isZero();
    }

    @Test
    void sixteenBitTablesThatFitInEightBitsDecodeLikeTheOriginal() throws Exception {
        // hopper.jpg with its 8-bit DQT rewritten as 16-bit: TwelveMonkeys narrows it back (and warns) exactly.
        byte[] hopper = TestImages.bytes("pillow/hopper.jpg");
        byte[] wide = widenQuantTables(hopper);
        assertThat(wide.length).isGreaterThan(hopper.length);

        BufferedImage img = decoder.decode(new ByteArrayInputStream(wide), LIMIT).image();

        assertThat(ExifOrientationTest.meanAbsoluteError(jdkRead(hopper), img)).isZero();
    }

    /** Rewrites every 8-bit DQT table of a JPEG as 16-bit (same values), before its first scan. */
    private static byte[] widenQuantTables(byte[] jpeg) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        int i = 2;
        while (true) {
            int marker = jpeg[i + 1] & 0xFF;
            int length = (jpeg[i + 2] & 0xFF) << 8 | (jpeg[i + 3] & 0xFF);
            if (marker == 0xDA) {
                out.write(jpeg, i, jpeg.length - i);
                return out.toByteArray();
            }
            if (marker == 0xDB) {
                ByteArrayOutputStream tables = new ByteArrayOutputStream();
                for (int t = i + 4; t < i + 2 + length; t += 65) {
                    tables.write(0x10 | (jpeg[t] & 0x0F));
                    for (int k = 1; k <= 64; k++) {
                        tables.write(0);
                        tables.write(jpeg[t + k]);
                    }
                }
                Crafted.segment(out, 0xDB, tables.toByteArray());
            } else {
                out.write(jpeg, i, 2 + length);
            }
            i += 2 + length;
        }
    }

    private static BufferedImage jdkRead(byte[] data) throws Exception {
        SourceTrackingInputStream source = new SourceTrackingInputStream(new ByteArrayInputStream(data));
        ImageInputStream iis = new MemoryCacheImageInputStream(source);
        ImageReader reader = ImageDecoder.findReader(iis, source, java.util.Arrays.copyOf(data, 16), false);
        try {
            reader.setInput(iis, true, true);
            return reader.read(0);
        } finally {
            reader.dispose();
        }
    }

    // --- our SOF check ---

    @Test
    void twelveBitJpegIsUnsupportedWithAReason() {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(TestImages.open("libjpeg-turbo/monkey12.jpg"), LIMIT));

        assertThat(e.reason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
        assertThat(e.getMessage()).isEqualTo("12-bit JPEG images are not supported; please save the image as an "
                + "8-bit JPEG");
    }

    @Test
    void aJpegWithoutAHeightIsCorrupt() {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(TestImages.open("jpeg-decoder/crashtest/null_height.jpg"), LIMIT));

        assertThat(e.reason()).isEqualTo(RejectReason.CORRUPT);
        assertThat(e.getMessage()).isEqualTo("the image header has invalid dimensions 0x800");
    }

    @Test
    void headerScanReadsFrameOrientationAndTablesAndPutsTheStreamBack() throws Exception {
        byte[] jpeg = Crafted.withSegmentsAfterSoi(Crafted.jpeg(640, 480, 8, 100), Crafted.exifApp1(6, true));
        ImageInputStream iis = new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg));

        JpegHeader h = JpegHeader.scan(iis);

        assertThat(iis.getStreamPosition()).isZero();
        assertThat(h.frameMarker()).isEqualTo(0xC0);
        assertThat(h.precision()).isEqualTo(8);
        assertThat(h.width()).isEqualTo(640);
        assertThat(h.height()).isEqualTo(480);
        assertThat(h.components()).isEqualTo(1);
        assertThat(h.orientation()).isEqualTo(6);
        assertThat(h.wideQuantTables()).isFalse();
    }

    @Test
    void headerScanOfTruncatedOrForeignDataFindsNothingAndNeverThrows() throws Exception {
        byte[] jpeg = Crafted.withSegmentsAfterSoi(Crafted.jpeg(640, 480, 8, 0), Crafted.exifApp1(3, false));
        for (int cut = 0; cut < 120; cut++) {
            ImageInputStream iis = new MemoryCacheImageInputStream(
                    new ByteArrayInputStream(java.util.Arrays.copyOf(jpeg, cut)));
            JpegHeader h = JpegHeader.scan(iis);
            assertThat(iis.getStreamPosition()).isZero();
            assertThat(h.width()).isIn(0, 640);
        }
        JpegHeader png = JpegHeader.scan(new MemoryCacheImageInputStream(
                new ByteArrayInputStream(TestImages.bytes("pngsuite/basn2c08.png"))));
        assertThat(png.hasFrame()).isFalse();
    }
}
