package dev.imagery.worker.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.WritableRaster;

/**
 * The sepia filter as it was before the table-driven one (git history: SepiaFilter before "Sepia: table-driven"),
 * kept unchanged as the reference the fast filter must match pixel for pixel: the integer formula per channel,
 * {@code min(255, (393r + 769g + 189b + 500) / 1000)}, over the raster's bytes.
 */
final class ReferenceSepia {

    private ReferenceSepia() {
    }

    static int red(int r, int g, int b) {
        return Math.min(255, (393 * r + 769 * g + 189 * b + 500) / 1000);
    }

    static int green(int r, int g, int b) {
        return Math.min(255, (349 * r + 686 * g + 168 * b + 500) / 1000);
    }

    static int blue(int r, int g, int b) {
        return Math.min(255, (272 * r + 534 * g + 131 * b + 500) / 1000);
    }

    static void applyInPlace(BufferedImage img) {
        WritableRaster raster = img.getRaster();
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        byte[] data = buffer.getData();
        int pixelStride = sm.getPixelStride();
        int scanlineStride = sm.getScanlineStride();
        int[] bandOffsets = sm.getBandOffsets();
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
                data[p + rOff] = (byte) red(r, g, b);
                data[p + gOff] = (byte) green(r, g, b);
                data[p + bOff] = (byte) blue(r, g, b);
            }
        }
    }
}
