package dev.imagery.worker.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.MultiPixelPackedSampleModel;
import java.awt.image.SampleModel;
import java.awt.image.SinglePixelPackedSampleModel;
import java.util.Arrays;
import javax.imageio.ImageTypeSpecifier;

/**
 * What an image will cost to process, known from its header before any pixel memory is allocated: the size of
 * the raster the decoder will produce and of the copies the pipeline then makes. {@link #estimatedDecodedBytes()}
 * is what {@code IMAGERY_MAX_DECODED_BYTES} is checked against, and what a worker-wide memory budget can admit
 * jobs by.
 *
 * <p>The pipeline's memory comes in three phases, one after the other, so the estimate is the largest of them,
 * not their sum (with P = width x height):
 * <ol>
 *   <li><b>decoding:</b> the decoder's raster, plus what the decoder holds beside it: TwelveMonkeys decodes CMYK and
 *       YCCK to a 4-byte raster first and converts that to RGB; libjpeg keeps every DCT coefficient of a
 *       multi-scan (progressive) JPEG, 2 bytes per sample, outside the Java heap (counted as if no component
 *       were subsampled, an upper bound);</li>
 *   <li><b>conversion:</b> the raster and its 3-byte BGR working copy (none when the decoder's raster is BGR
 *       already), plus Java2D's temporary copy when it converts a layout it has no direct loop for (16-bit RGB(A)
 *       PNGs: measured ~7 bytes per pixel beyond the two rasters) or composites alpha over white (8-bit RGBA:
 *       ~4), plus the upright copy of an EXIF-rotated JPEG;</li>
 *   <li><b>filtering and encoding:</b> the 3-byte working image (sepia is in place, the thumbnail needs a few
 *       rows of sums) and the encoded result, twice (the growing buffer and its final copy): counted as 2 bytes
 *       per pixel, which a PNG of a photo (~1.1 bytes per pixel) stays under.</li>
 * </ol>
 * Measured against the smallest heap a 24 MP image goes through in (serial GC, tiny young generation): 16-bit
 * RGBA PNG ~18 bytes per pixel (estimated 18), 8-bit RGBA PNG ~11 (11), 16-bit gray PNG ~5 (5), 8-bit RGB JPEG,
 * gray JPEG, RGB PNG and palette PNG ~4 (5). The compressed input, cached while it is decoded, is bounded
 * by {@code IMAGERY_MAX_UPLOAD_BYTES} and not counted here.
 *
 * @param format            lower-case format name, as in {@link DecodedImage#format()}
 * @param width             stored width (before any EXIF rotation)
 * @param height            stored height
 * @param rasterBytes       the decoder's output raster
 * @param decoderExtraBytes what the decoder holds beside its output while decoding (phase 1)
 * @param rasterIsBgr       the decoder's raster is the pipeline's TYPE_3BYTE_BGR already: no working copy
 * @param conversionTempBytes Java2D's temporary copy when converting to BGR (phase 2)
 * @param rotated           an EXIF orientation other than 1 makes an upright copy
 */
public record ImageHeader(String format, int width, int height, long rasterBytes, long decoderExtraBytes,
        boolean rasterIsBgr, long conversionTempBytes, boolean rotated) {

    /** The pipeline's working layout, TYPE_3BYTE_BGR. */
    static final int BGR_BYTES_PER_PIXEL = 3;
    /** The encoded result's buffer and its copy: phase 3 beside the working image. */
    static final int THUMBNAIL_AND_OUTPUT_BYTES_PER_PIXEL = 2;
    /** Measured: converting a 16-bit RGBA PNG (24 MP) needs this much beyond the source and the BGR copy. */
    static final int JAVA2D_CONVERSION_TEMP_BYTES_PER_PIXEL = 7;
    /** Measured: compositing an 8-bit RGBA PNG (24 MP, 4BYTE_ABGR) over white needs this much beyond both rasters. */
    static final int JAVA2D_ALPHA_TEMP_BYTES_PER_PIXEL = 4;
    /** libjpeg's coefficient buffer of a multi-scan JPEG: one 2-byte coefficient per sample of each component. */
    static final int JPEG_COEFFICIENT_BYTES_PER_SAMPLE = 2;

    public ImageHeader {
        if (width <= 0 || height <= 0 || rasterBytes < 0 || decoderExtraBytes < 0 || conversionTempBytes < 0) {
            throw new IllegalArgumentException("invalid header " + width + "x" + height + ", raster " + rasterBytes);
        }
    }

    public long pixels() {
        return (long) width * height;
    }

    /** The most bytes the pipeline holds at once for this image, Java heap and libjpeg's native memory. */
    public long estimatedDecodedBytes() {
        long bgr = BGR_BYTES_PER_PIXEL * pixels();
        long decoding = rasterBytes + decoderExtraBytes;
        long conversion = rasterBytes + (rasterIsBgr ? 0 : bgr + conversionTempBytes) + (rotated ? bgr : 0);
        long working = bgr + THUMBNAIL_AND_OUTPUT_BYTES_PER_PIXEL * pixels();
        return Math.max(decoding, Math.max(conversion, working));
    }

    /**
     * The header of an image whose decoder will produce images of {@code type} (only its layout is used: nothing
     * is allocated).
     */
    static ImageHeader of(String format, int width, int height, ImageTypeSpecifier type, long decoderExtraBytes,
            boolean rotated) {
        SampleModel layout = type.getSampleModel();
        ColorModel cm = type.getColorModel();
        int imageType = type.getBufferedImageType();
        long raster = rasterBytes(layout.createCompatibleSampleModel(width, 1), height);
        boolean bgr = imageType == BufferedImage.TYPE_3BYTE_BGR;
        // BgrImages copies gray layouts itself, with no temporary; Java2D has direct loops for the standard opaque
        // types; custom layouts (16-bit RGB and RGBA PNG) and compositing alpha over white use temporary copies.
        boolean grayByHand = cm instanceof ComponentColorModel && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        int tempPerPixel = 0;
        if (!bgr && !grayByHand) {
            if (imageType == BufferedImage.TYPE_CUSTOM) {
                tempPerPixel = JAVA2D_CONVERSION_TEMP_BYTES_PER_PIXEL;
            } else if (cm.hasAlpha()) {
                tempPerPixel = JAVA2D_ALPHA_TEMP_BYTES_PER_PIXEL;
            }
        }
        long temp = (long) tempPerPixel * width * height;
        return new ImageHeader(format, width, height, raster, decoderExtraBytes, bgr, temp, rotated);
    }

    /**
     * libjpeg's coefficient buffer for a JPEG with {@code scans} scans of {@code components} components: none for
     * one scan (decoded block row by block row), the whole image's coefficients for more.
     */
    static long jpegCoefficientBytes(int width, int height, int components, int scans) {
        if (scans <= 1) {
            return 0;
        }
        return (long) JPEG_COEFFICIENT_BYTES_PER_SAMPLE * components * width * height;
    }

    /** Bytes of a {@code rowModel.getWidth()} x {@code height} raster laid out as {@code rowModel} (one row). */
    static long rasterBytes(SampleModel rowModel, int height) {
        long elementsPerRow;
        if (rowModel instanceof ComponentSampleModel c) {
            int banks = Arrays.stream(c.getBankIndices()).max().orElse(0) + 1;
            elementsPerRow = (long) c.getScanlineStride() * banks;
        } else if (rowModel instanceof MultiPixelPackedSampleModel m) {
            elementsPerRow = m.getScanlineStride();
        } else if (rowModel instanceof SinglePixelPackedSampleModel s) {
            elementsPerRow = s.getScanlineStride();
        } else {
            // Unknown layout: assume one element per sample.
            elementsPerRow = (long) rowModel.getWidth() * rowModel.getNumBands();
        }
        return elementsPerRow * height * (DataBuffer.getDataTypeSize(rowModel.getDataType()) / 8);
    }
}
