package dev.imagery.worker.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.WritableRaster;

/**
 * The classic sepia matrix of the original Imagery (Jimp), applied in place to a TYPE_3BYTE_BGR image.
 *
 * <pre>
 * r' = .393r + .769g + .189b
 * g' = .349r + .686g + .168b
 * b' = .272r + .534g + .131b
 * </pre>
 *
 * <p>Rounding rule: each output is the exact real value rounded half up, then clamped to 255. It is computed in
 * integer fixed point with the coefficients in thousandths, {@code min(255, (393r + 769g + 189b + 500) / 1000)},
 * which is exact (no floating-point error can push an x.5 value either way). Jimp truncates instead, so our
 * channels are at most 1 level higher than the original's.
 *
 * <p>A plain int loop over the byte array is used on purpose: staying in 3BYTE_BGR is the fastest path measured,
 * and {@code BandCombineOp} is slower and does not clamp (values over 255 wrap).
 */
public final class SepiaFilter {

    private SepiaFilter() {
    }

    /** Sepia of one pixel; returns {r', g', b'}, each in 0..255. Inputs must be in 0..255. */
    public static int[] sepia(int r, int g, int b) {
        return new int[] {sepiaRed(r, g, b), sepiaGreen(r, g, b), sepiaBlue(r, g, b)};
    }

    static int sepiaRed(int r, int g, int b) {
        return Math.min(255, (393 * r + 769 * g + 189 * b + 500) / 1000);
    }

    static int sepiaGreen(int r, int g, int b) {
        return Math.min(255, (349 * r + 686 * g + 168 * b + 500) / 1000);
    }

    static int sepiaBlue(int r, int g, int b) {
        // .272 + .534 + .131 = .937 < 1, so blue can never exceed 255; the clamp stays for symmetry.
        return Math.min(255, (272 * r + 534 * g + 131 * b + 500) / 1000);
    }

    /**
     * Replaces every pixel of {@code img} with its sepia value.
     *
     * @throws IllegalArgumentException if the image is not TYPE_3BYTE_BGR
     */
    public static void applyInPlace(BufferedImage img) {
        if (img.getType() != BufferedImage.TYPE_3BYTE_BGR) {
            throw new IllegalArgumentException("sepia needs TYPE_3BYTE_BGR, got type " + img.getType());
        }
        WritableRaster raster = img.getRaster();
        // Read the layout from the sample model rather than assuming offset 0 and stride 3*width,
        // so a sub-image (shared, translated raster) is filtered correctly too.
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        byte[] data = buffer.getData();
        int pixelStride = sm.getPixelStride();
        int scanlineStride = sm.getScanlineStride();
        int[] bandOffsets = sm.getBandOffsets(); // bands are R, G, B; for 3BYTE_BGR the offsets are {2, 1, 0}
        int rOff = bandOffsets[0];
        int gOff = bandOffsets[1];
        int bOff = bandOffsets[2];
        int width = raster.getWidth();
        int height = raster.getHeight();
        int x0 = raster.getMinX() - raster.getSampleModelTranslateX();
        int y0 = raster.getMinY() - raster.getSampleModelTranslateY();
        int base = buffer.getOffset() + y0 * scanlineStride + x0 * pixelStride;

        for (int y = 0; y < height; y++) {
            int p = base + y * scanlineStride;
            int end = p + width * pixelStride;
            for (; p < end; p += pixelStride) {
                int r = data[p + rOff] & 0xFF;
                int g = data[p + gOff] & 0xFF;
                int b = data[p + bOff] & 0xFF;
                data[p + rOff] = (byte) sepiaRed(r, g, b);
                data[p + gOff] = (byte) sepiaGreen(r, g, b);
                data[p + bOff] = (byte) sepiaBlue(r, g, b);
            }
        }
        // Writing through getData() marks the buffer untrackable, which only disables Java2D's
        // cached (managed) copy of this image; we encode it next anyway.
    }
}
