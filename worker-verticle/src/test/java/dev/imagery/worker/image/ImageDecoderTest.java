package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageDecoderTest {

    private static final long LIMIT = 50_000_000L;
    private final ImageDecoder decoder = new ImageDecoder();

    @ParameterizedTest
    @CsvSource({
        "pillow/hopper.jpg, jpeg, 128, 128",
        "pillow/hopper.gif, gif, 128, 128",
        "pillow/hopper.bmp, bmp, 128, 128",
        "libjpeg-turbo/testorig.jpg, jpeg, 227, 149",
        "jpeg-decoder/mozilla/jpg-progressive.jpg, jpeg, 32, 32",
        "pngsuite/basn2c08.png, png, 32, 32",
        "pngsuite/basi2c08.png, png, 32, 32",
        "pngsuite/basn0g16.png, png, 32, 32",
        "pngsuite/basn3p08.png, png, 32, 32",
        "pngsuite/basn4a08.png, png, 32, 32",
        "pngsuite/tbrn2c08.png, png, 32, 32",
        "pngsuite/tp1n3p08.png, png, 32, 32",
        "pillow/pil_sample_cmyk.jpg, jpeg, 100, 100",
        "jpeg-decoder/mozilla/jpg-cmyk-2.jpg, jpeg, 256, 256",
        "libjpeg-turbo/testimgari.jpg, jpeg, 227, 149",
        "pillow/hopper_orientation_8.jpg, jpeg, 128, 128",
        "pillow/orientation_rectangle.jpg, jpeg, 1, 2",
    })
    void decodesValidFilesToAPixelLayout(String path, String format, int width, int height) throws Exception {
        DecodedImage d = decoder.decode(TestImages.open(path), LIMIT);

        assertThat(d.format()).isEqualTo(format);
        assertThat(d.width()).isEqualTo(width);
        assertThat(d.height()).isEqualTo(height);
        assertThat(PixelLayout.of(d.image())).as("TYPE_3BYTE_BGR or its RGB twin").isNotNull();
        assertThat(d.image().getWidth()).isEqualTo(width);
        assertThat(d.image().getHeight()).isEqualTo(height);
    }

    @ParameterizedTest
    @CsvSource({
        "pillow/hopper.gif",   // palette
        "pngsuite/basn3p08.png", // palette
        "pngsuite/basi2c08.png", // interlaced RGB
        "pillow/hopper.bmp",
    })
    void keepsOpaquePixelsExactly(String path) throws Exception {
        byte[] data = TestImages.bytes(path);
        BufferedImage reference = TestImages.readWithImageIo(data);

        BufferedImage img = decoder.decode(new ByteArrayInputStream(data), LIMIT).image();

        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                assertThat(img.getRGB(x, y)).as("(%d,%d)", x, y).isEqualTo(reference.getRGB(x, y) | 0xFF000000);
            }
        }
    }

    @Test
    void compositesTransparentRgbPngOverWhite() throws Exception {
        // tbrn2c08: RGB with a tRNS colour key; the corners are transparent, the centre opaque grey.
        BufferedImage img = decoder.decode(TestImages.open("pngsuite/tbrn2c08.png"), LIMIT).image();

        assertThat(rgb(img, 0, 0)).isEqualTo(0xFFFFFF);
        assertThat(rgb(img, 31, 31)).isEqualTo(0xFFFFFF);
        assertThat(rgb(img, 16, 16)).isEqualTo(0x9E9E9E);
    }

    @Test
    void compositesTransparentPalettePngOverWhite() throws Exception {
        BufferedImage img = decoder.decode(TestImages.open("pngsuite/tp1n3p08.png"), LIMIT).image();

        assertThat(rgb(img, 0, 0)).isEqualTo(0xFFFFFF);
        assertThat(rgb(img, 16, 16)).isEqualTo(0x9E9E9E);
    }

    @Test
    void compositesGrayAlphaWithoutBrightening() throws Exception {
        byte[] data = TestImages.bytes("pngsuite/basn4a08.png");
        Raster raw = TestImages.readWithImageIo(data).getRaster(); // samples: gray, alpha

        BufferedImage img = decoder.decode(new ByteArrayInputStream(data), LIMIT).image();

        for (int[] p : new int[][] {{16, 16}, {5, 20}, {0, 0}, {31, 31}}) {
            int gray = raw.getSample(p[0], p[1], 0);
            int alpha = raw.getSample(p[0], p[1], 1);
            int expected = (int) Math.round(gray * alpha / 255.0 + (255 - alpha));
            int actual = img.getRGB(p[0], p[1]);
            assertThat(actual & 0xFF).as("(%d,%d) gray %d alpha %d", p[0], p[1], gray, alpha)
                    .isCloseTo(expected, Offset.offset(1));
            assertThat((actual >> 16) & 0xFF).isEqualTo(actual & 0xFF); // still gray
        }
        // Hand-checked anchor: gray 123 at alpha 131 over white = 123*131/255 + 124 = 187.2
        assertThat(rgb(img, 16, 16)).isEqualTo(0xBBBBBB);
    }

    @Test
    void scales16BitGrayToEightBits() throws Exception {
        byte[] data = TestImages.bytes("pngsuite/basn0g16.png");
        Raster raw = TestImages.readWithImageIo(data).getRaster();

        BufferedImage img = decoder.decode(new ByteArrayInputStream(data), LIMIT).image();

        int sample = raw.getSample(16, 16, 0); // 45056 of 65535
        int expected = (int) Math.round(sample * 255.0 / 65535);
        assertThat(rgb(img, 16, 16)).isEqualTo(expected * 0x010101);
    }

    @Test
    void keepsJpegDecoderOutputWithoutCopy() throws Exception {
        byte[] data = TestImages.bytes("pillow/hopper.jpg");
        BufferedImage reference = TestImages.readWithImageIo(data);

        BufferedImage img = decoder.decode(new ByteArrayInputStream(data), LIMIT).image();

        assertThat(img.getRGB(10, 10)).isEqualTo(reference.getRGB(10, 10));
        assertThat(img.getRGB(100, 77)).isEqualTo(reference.getRGB(100, 77));
    }

    @Test
    void rejectsTruncatedJpegInsteadOfReturningGrey() {
        ImageRejectedException e = reject("pillow/truncated_jpeg.jpg", LIMIT);

        assertThat(e.reason()).isEqualTo(RejectReason.CORRUPT);
        // The JDK's reader's words, or libjpeg's own through TurboJPEG.
        assertThat(e.getMessage()).containsAnyOf("Missing EOI", "Premature end of JPEG file");
    }

    @Test
    void refusesGifPixelFloodFromItsHeader() {
        ImageRejectedException e = reject("pillow/decompression_bomb.gif", LIMIT);

        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        // The JDK's GIF reader reports 65535x1321 for this 44-byte file.
        assertThat(e.getMessage()).isEqualTo("image is 65535x1321 = 86.5 MP, over the limit of 50 MP");
    }

    @Test
    void refusesJpegPixelFlood() {
        // SOF says 65535x65535; our own SOF check refuses it before the JDK's header code runs.
        ImageRejectedException e = reject("jpeg-decoder/crashtest/max_size.jpg", LIMIT);

        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("65535x65535");
    }

    @Test
    void refusesOverLimitBeforeReadingThePixelData() throws Exception {
        byte[] png = noisePng(600, 600); // incompressible: well over 64 KB
        assertThat(png.length).isGreaterThan(256 * 1024);
        Crafted.CountingInputStream in = new Crafted.CountingInputStream(new ByteArrayInputStream(png));

        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(in, 100_000));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).isEqualTo("image is 600x600 = 360000 pixels, over the limit of 100000 pixels");
        assertThat(in.count).as("bytes read before refusing").isLessThan(64 * 1024);
    }

    @Test
    void lowPixelLimitRefusesANormalImage() {
        ImageRejectedException e = reject("pillow/hopper.jpg", 100);

        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).contains("128x128").contains("16384 pixels").contains("100 pixels");
    }

    @Test
    void acceptsAnImageExactlyAtTheLimit() throws Exception {
        assertThat(decoder.decode(TestImages.open("pillow/hopper.jpg"), 128 * 128).width()).isEqualTo(128);
    }

    @Test
    void emptyFileIsEmpty() {
        assertThat(reject("jpeg-decoder/crashtest/empty.jpg", LIMIT).reason()).isEqualTo(RejectReason.EMPTY);
    }

    @Test
    void webpIsUnsupportedAndNamed() {
        ImageRejectedException e = reject("pillow/hopper.webp", LIMIT);

        assertThat(e.reason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
        assertThat(e.getMessage()).containsIgnoringCase("webp");
    }

    @Test
    void textIsUnsupported() {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream("hello, world\n".getBytes()), LIMIT));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
        assertThat(e.getMessage()).contains("not a recognised image");
    }

    @Test
    void pngWithBrokenSignatureIsUnsupported() {
        assertThat(reject("pngsuite/xs1n0g01.png", LIMIT).reason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
    }

    @Test
    void pngWithIllegalColourTypeIsCorrupt() {
        assertThat(reject("pngsuite/xc1n0g08.png", LIMIT).reason()).isEqualTo(RejectReason.CORRUPT);
    }

    @Test
    void truncatedPngIsCorrupt() {
        assertThat(rejectBytes(half("pngsuite/basn3p08.png")).reason()).isEqualTo(RejectReason.CORRUPT);
    }

    @Test
    void truncatedBaselineJpegIsCorrupt() {
        assertThat(rejectBytes(half("libjpeg-turbo/testorig.jpg")).reason()).isEqualTo(RejectReason.CORRUPT);
    }

    @Test
    void truncatedGifIsCorrupt() {
        assertThat(rejectBytes(half("pillow/hopper.gif")).reason()).isEqualTo(RejectReason.CORRUPT);
    }

    @Test
    void ycckJpegDecodesToRgb() throws Exception {
        DecodedImage d = decoder.decode(TestImages.open("pillow/pil_sample_cmyk.jpg"), LIMIT);

        assertThat(d.format()).isEqualTo("jpeg");
        assertThat(PixelLayout.of(d.image())).as("TYPE_3BYTE_BGR or its RGB twin").isNotNull();
        assertThat(d.width()).isEqualTo(100);
    }

    @Test
    void plainCmykJpegDecodesToRgb() throws Exception {
        DecodedImage d = decoder.decode(TestImages.open("jpeg-decoder/mozilla/jpg-cmyk-1.jpg"), LIMIT);

        assertThat(PixelLayout.of(d.image())).as("TYPE_3BYTE_BGR or its RGB twin").isNotNull();
        assertThat(d.width()).isEqualTo(32);
    }

    @Test
    void failingSourceDuringTheJpegHeaderScanIsAnIoException() {
        byte[] data = TestImages.bytes("pillow/hopper.jpg");
        IOException boom = new IOException("connection reset");
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(data)) {
            private int served;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served >= 100) {
                    throw boom;
                }
                int n = super.read(b, off, Math.min(len, 100 - served));
                served += n;
                return n;
            }
        };

        assertThatThrownBy(() -> decoder.decode(failing, LIMIT)).isSameAs(boom);
    }

    @Test
    void failingSourceWhileCheckingPngChunksIsAnIoException() {
        byte[] data = TestImages.bytes("pngsuite/basn2c08.png");
        IOException boom = new IOException("connection reset");
        // The whole image is served, then the stream dies before IEND's CRC.
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(data)) {
            private int served;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served >= data.length - 2) {
                    throw boom;
                }
                int n = super.read(b, off, Math.min(len, data.length - 2 - served));
                served += n;
                return n;
            }
        };

        assertThatThrownBy(() -> decoder.decode(failing, LIMIT)).isSameAs(boom);
    }

    @Test
    void failingSourceIsAnIoExceptionNotARejection() {
        byte[] data = TestImages.bytes("pngsuite/basn2c08.png");
        IOException boom = new IOException("connection reset");
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(data, 0, 60)) {
            private int served;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (served >= 60) {
                    throw boom;
                }
                int n = super.read(b, off, Math.min(len, 60 - served));
                served += n;
                return n;
            }
        };

        assertThatThrownBy(() -> decoder.decode(failing, LIMIT)).isSameAs(boom);
    }

    @Test
    void doesNotCloseTheCallersStream() throws Exception {
        boolean[] closed = {false};
        InputStream in = new FilterInputStream(TestImages.open("pillow/hopper.gif")) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };

        decoder.decode(in, LIMIT);

        assertThat(closed[0]).isFalse();
    }

    @Test
    void describesPixelCounts() {
        assertThat(ImageDecoder.describePixels(4_294_836_225L)).isEqualTo("4294.8 MP");
        assertThat(ImageDecoder.describePixels(50_000_000L)).isEqualTo("50 MP");
        assertThat(ImageDecoder.describePixels(999_999L)).isEqualTo("999999 pixels");
    }

    private ImageRejectedException reject(String path, long maxPixels) {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(TestImages.open(path), maxPixels));
        assertThat(e).as("%s must be rejected", path).isNotNull();
        return e;
    }

    private ImageRejectedException rejectBytes(byte[] data) {
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream(data), LIMIT));
        assertThat(e).as("must be rejected").isNotNull();
        return e;
    }

    private static byte[] half(String path) {
        byte[] data = TestImages.bytes(path);
        return Arrays.copyOf(data, data.length / 2);
    }

    private static int rgb(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    private static byte[] noisePng(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(42);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, random.nextInt());
            }
        }
        return new ImageEncoder().encode(img, OutputFormat.PNG, 0.85f);
    }
}
