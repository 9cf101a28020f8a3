package dev.imagery.worker.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.Arrays;

/**
 * The two pixel layouts the pipeline works in: 3 bytes per pixel, 8-bit sRGB, in one byte array, either
 * B, G, R (TYPE_3BYTE_BGR) or R, G, B (its twin, a TYPE_CUSTOM image). Each stage reads the layout and keeps it.
 *
 * <p><b>Why two.</b> libjpeg and the PNG format hand out R, G, B; Java2D's standard type is B, G, R. The JDK's
 * JPEG and PNG readers copy each decoded row into a TYPE_3BYTE_BGR raster sample by sample, and its JPEG writer
 * copies each row out the same way: measured on 13.4 MP, a JPEG read 64 -> 41 ms, a PNG read 198 -> 173 ms and
 * a JPEG write 86 -> 59 ms when the raster is R, G, B instead, with identical pixels and bytes. So the ImageIO
 * path decodes into RGB; TurboJPEG writes either as fast and gives BGR; Java2D's conversions give BGR.
 */
enum PixelLayout {
    BGR(2, 1, 0),
    RGB(0, 1, 2);

    /** Byte offsets of R, G and B within a pixel (the sample model's band offsets). */
    private final int[] bandOffsets;

    PixelLayout(int red, int green, int blue) {
        this.bandOffsets = new int[] {red, green, blue};
    }

    int[] bandOffsets() {
        return bandOffsets.clone();
    }

    /**
     * The layout of {@code img}, or null when it is neither: TYPE_3BYTE_BGR, or an opaque 8-bit sRGB image of one
     * byte array with pixel stride 3 and band offsets 0, 1, 2. Sub-images (any scanline stride) count.
     */
    static PixelLayout of(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return BGR;
        }
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        if (img.getType() == BufferedImage.TYPE_CUSTOM && cm instanceof ComponentColorModel && !cm.hasAlpha()
                && cm.getColorSpace().isCS_sRGB() && cm.getTransferType() == DataBuffer.TYPE_BYTE
                && raster.getDataBuffer() instanceof DataBufferByte buffer && buffer.getNumBanks() == 1
                && raster.getSampleModel() instanceof PixelInterleavedSampleModel sm
                && sm.getNumBands() == 3 && sm.getPixelStride() == 3
                && Arrays.equals(sm.getBandOffsets(), RGB.bandOffsets)) {
            return RGB;
        }
        return null;
    }

    /** A new image of this layout: offset 0, stride 3 * width. */
    BufferedImage create(int width, int height) {
        return wrap(new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)], width, height);
    }

    /** An image of this layout over {@code pixels} itself (stride 3 * width, from offset 0): no copy. */
    BufferedImage wrap(byte[] pixels, int width, int height) {
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(pixels, pixels.length), width,
                height, 3 * width, 3, bandOffsets, null);
        ColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        BufferedImage img = new BufferedImage(cm, raster, false, null);
        if (of(img) != this) { // Java2D recognises TYPE_3BYTE_BGR from the layout: a guard, not a branch
            throw new IllegalStateException("not recognised as " + this + ": type " + img.getType());
        }
        return img;
    }

    /**
     * Whether {@code img} has a layout laid out from offset 0 with stride 3 * width, as {@link #create} makes it:
     * its byte array is the image, nothing more.
     */
    static boolean isPlain(BufferedImage img) {
        if (of(img) == null) {
            return false;
        }
        Raster raster = img.getRaster();
        PixelInterleavedSampleModel sm = (PixelInterleavedSampleModel) raster.getSampleModel();
        return sm.getPixelStride() == 3 && sm.getScanlineStride() == 3 * img.getWidth()
                && raster.getDataBuffer().getOffset() == 0 && raster.getMinX() == 0 && raster.getMinY() == 0
                && raster.getSampleModelTranslateX() == 0 && raster.getSampleModelTranslateY() == 0
                && ((DataBufferByte) raster.getDataBuffer()).getData().length == 3 * img.getWidth() * img.getHeight();
    }

    /** The byte array of an image {@link #of} recognises. */
    static byte[] data(BufferedImage img) {
        return ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
    }
}
