package dev.imagery.worker.image;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;

/** Conversion to the one pixel layout the pipeline works in. */
final class BgrImages {

    private BgrImages() {
    }

    /**
     * A new TYPE_3BYTE_BGR copy of {@code src}; transparent pixels are composited over white, because JPEG has
     * no alpha and the sepia result of black-behind-transparent would look like a dark frame.
     */
    static BufferedImage toBgr(BufferedImage src) {
        if (isComponentGray(src)) {
            return grayToBgr(src);
        }
        BufferedImage out = new BufferedImage(src.getWidth(), src.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        try {
            if (src.getColorModel().hasAlpha()) {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, src.getWidth(), src.getHeight());
            }
            g.drawImage(src, 0, 0, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /**
     * Gray images with 8- or 16-bit samples (gray JPEG, 16-bit gray PNG, gray+alpha PNG). Java2D treats the
     * CS_GRAY space as linear and brightens the custom (gray+alpha) ones when drawing them; PNG and JPEG gray
     * samples are already display values, so we copy them ourselves.
     */
    private static boolean isComponentGray(BufferedImage src) {
        ColorModel cm = src.getColorModel();
        int transfer = cm.getTransferType();
        return cm instanceof ComponentColorModel
                && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && (transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT)
                && src.getRaster().getNumBands() == (cm.hasAlpha() ? 2 : 1);
    }

    private static BufferedImage grayToBgr(BufferedImage src) {
        int w = src.getWidth();
        int h = src.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((DataBufferByte) out.getRaster().getDataBuffer()).getData(); // fresh image: offset 0, stride 3w
        ColorModel cm = src.getColorModel();
        Raster raster = src.getRaster();
        boolean alpha = cm.hasAlpha();
        boolean premultiplied = cm.isAlphaPremultiplied();
        double grayMax = (1 << cm.getComponentSize(0)) - 1;
        double alphaMax = alpha ? (1 << cm.getComponentSize(1)) - 1 : 1;
        int[] gray = new int[w];
        int[] alphas = new int[w];
        int i = 0;
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, gray);
            if (alpha) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 1, alphas);
            }
            for (int x = 0; x < w; x++) {
                double v = gray[x] / grayMax;
                if (alpha) {
                    double a = alphas[x] / alphaMax;
                    v = (premultiplied ? v : v * a) + (1 - a); // over white
                }
                byte b = (byte) Math.min(255, (int) Math.round(v * 255));
                dst[i++] = b;
                dst[i++] = b;
                dst[i++] = b;
            }
        }
        return out;
    }
}
