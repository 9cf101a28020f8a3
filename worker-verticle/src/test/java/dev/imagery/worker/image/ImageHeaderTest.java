package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ImageHeader}: the raster it predicts is the one the reader allocates, and the estimate follows the
 * pipeline's phases (the figure a worker-wide memory budget will admit jobs by).
 */
class ImageHeaderTest {

    private static final int P = 1000 * 1000;

    @ParameterizedTest
    @ValueSource(strings = {"pngsuite/basi0g01.png", "pngsuite/ct1n0g04.png", "pngsuite/basn0g16.png",
        "pngsuite/basn2c08.png", "pngsuite/basn3p08.png", "pngsuite/basn4a08.png", "pngsuite/basn6a16.png",
        "pngsuite/oi9n2c16.png", "pngsuite/tbrn2c08.png", "pngsuite/tbbn3p08.png", "pngsuite/s01i3p01.png",
        "pillow/hopper.jpg", "pillow/hopper_gray.jpg", "pillow/pil_sample_cmyk.jpg", "pillow/hopper.gif",
        "pillow/hopper.bmp", "jpeg-decoder/mozilla/jpg-progressive.jpg"})
    void theRasterIsTheOneTheReaderAllocates(String path) throws Exception {
        byte[] data = TestImages.bytes(path);
        ImageInputStream iis = new MemoryCacheImageInputStream(new ByteArrayInputStream(data));
        SourceTrackingInputStream source = new SourceTrackingInputStream(new ByteArrayInputStream(data));
        ImageReader reader = ImageDecoder.findReader(iis, source, Arrays.copyOf(data, 12), true);
        try {
            reader.setInput(iis, true, true);
            int w = reader.getWidth(0);
            int h = reader.getHeight(0);
            ImageTypeSpecifier type = reader.getImageTypes(0).next();
            ImageHeader header = ImageHeader.of("x", w, h, type, 0, false);

            BufferedImage decoded = reader.read(0);

            DataBuffer buffer = decoded.getRaster().getDataBuffer();
            long allocated = (long) buffer.getSize() * buffer.getNumBanks()
                    * DataBuffer.getDataTypeSize(buffer.getDataType()) / 8;
            assertThat(header.rasterBytes()).as("%s: %s", path, decoded).isEqualTo(allocated);
            assertThat(header.rasterIsBgr()).isEqualTo(decoded.getType() == BufferedImage.TYPE_3BYTE_BGR);
        } finally {
            reader.dispose();
        }
    }

    @Test
    void aBgrJpegCostsItsWorkingImageThumbnailAndOutput() {
        ImageHeader h = new ImageHeader("jpeg", 1000, 1000, 3L * P, 0, true, 0, false);
        assertThat(h.pixels()).isEqualTo(P);
        assertThat(h.estimatedDecodedBytes()).isEqualTo(5L * P); // 3 working + 2 thumbnail steps and output
    }

    @Test
    void anExifRotationAddsTheUprightCopyToTheConversionPhase() {
        ImageHeader h = new ImageHeader("jpeg", 1000, 1000, 3L * P, 0, true, 0, true);
        assertThat(h.estimatedDecodedBytes()).isEqualTo(6L * P);
    }

    @Test
    void aProgressiveJpegCountsLibjpegsCoefficientsWhileDecoding() {
        assertThat(ImageHeader.jpegCoefficientBytes(1000, 1000, 3, 1)).as("one scan: no full buffer").isZero();
        long coefficients = ImageHeader.jpegCoefficientBytes(1000, 1000, 3, 10);
        assertThat(coefficients).isEqualTo(6L * P);
        ImageHeader h = new ImageHeader("jpeg", 1000, 1000, 3L * P, coefficients, true, 0, false);
        assertThat(h.estimatedDecodedBytes()).isEqualTo(9L * P);
    }

    @Test
    void a16BitRgbaPngCostsItsRasterTheBgrCopyAndJava2dsTemporary() {
        ImageTypeSpecifier rgba16 = ImageTypeSpecifier.createInterleaved(
                java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB), new int[] {0, 1, 2, 3},
                DataBuffer.TYPE_USHORT, true, false);
        ImageHeader h = ImageHeader.of("png", 1000, 1000, rgba16, 0, false);
        assertThat(h.rasterBytes()).isEqualTo(8L * P);
        assertThat(h.rasterIsBgr()).isFalse();
        assertThat(h.estimatedDecodedBytes()).isEqualTo((8L + 3 + 7) * P); // measured ~18 B/px at 24 MP
    }

    @Test
    void packedAndGrayLayoutsCountTheirRealRowsAndNeedNoJava2dTemporary() {
        ImageTypeSpecifier bits = ImageTypeSpecifier.createGrayscale(1, DataBuffer.TYPE_BYTE, false);
        ImageHeader packed = ImageHeader.of("png", 1001, 1000, bits, 0, false);
        assertThat(packed.rasterBytes()).as("ceil(1001 / 8) bytes a row").isEqualTo(126L * 1000);
        assertThat(packed.conversionTempBytes()).isZero();

        ImageTypeSpecifier gray16 = ImageTypeSpecifier.createGrayscale(16, DataBuffer.TYPE_USHORT, false);
        ImageHeader g = ImageHeader.of("png", 1000, 1000, gray16, 0, false);
        assertThat(g.rasterBytes()).isEqualTo(2L * P);
        assertThat(g.estimatedDecodedBytes()).isEqualTo(5L * P); // max(2 + 3 conversion, 5 working)
    }

    @Test
    void an8BitRgbaPngPaysForJava2dsAlphaCompositing() {
        ImageTypeSpecifier abgr = ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_4BYTE_ABGR);
        ImageHeader h = ImageHeader.of("png", 1000, 1000, abgr, 0, false);
        assertThat(h.rasterBytes()).isEqualTo(4L * P);
        assertThat(h.estimatedDecodedBytes()).isEqualTo((4L + 3 + 4) * P); // measured ~11 B/px at 24 MP

        ImageTypeSpecifier opaque = ImageTypeSpecifier.createFromBufferedImageType(BufferedImage.TYPE_BYTE_INDEXED);
        ImageHeader palette = ImageHeader.of("png", 1000, 1000, opaque, 0, false);
        assertThat(palette.conversionTempBytes()).as("an opaque palette has a direct Java2D loop").isZero();
    }

    @Test
    void theLargestAllowedSizesDoNotOverflow() {
        // 65535 x 65535 RGBA16 (the JDK's caps aside): 34 GB of raster, well inside a long.
        ImageHeader h = new ImageHeader("png", 65_535, 65_535, 8L * 65_535 * 65_535, 0, false,
                7L * 65_535 * 65_535, false);
        assertThat(h.estimatedDecodedBytes()).isEqualTo(18L * 65_535 * 65_535).isPositive();
    }
}
