package dev.imagery.worker.image;

import java.awt.image.BufferedImage;
import org.imgscalr.Scalr;

/** Downscales to fit a square box, keeping the aspect ratio. Stateless and thread-safe. */
public final class Thumbnailer {

    /**
     * A TYPE_3BYTE_BGR image that fits within {@code maxSize} x {@code maxSize}. Never upscales: an image that
     * already fits comes back as a copy. Each side is at least 1 pixel, so a 10000x1 strip stays visible.
     */
    public BufferedImage thumbnail(BufferedImage src, int maxSize) {
        if (maxSize <= 0) {
            throw new IllegalArgumentException("maxSize must be positive: " + maxSize);
        }
        int w = src.getWidth();
        int h = src.getHeight();
        if (w <= maxSize && h <= maxSize) {
            return BgrImages.toBgr(src);
        }
        double scale = Math.min((double) maxSize / w, (double) maxSize / h);
        int tw = clamp((int) Math.round(w * scale), maxSize);
        int th = clamp((int) Math.round(h * scale), maxSize);
        // QUALITY halves the image step by step with bicubic interpolation: no aliasing, unlike SPEED (nearest
        // neighbour) or BALANCED (one bilinear step). FIT_EXACT because we computed both sides ourselves.
        BufferedImage scaled = Scalr.resize(src, Scalr.Method.QUALITY, Scalr.Mode.FIT_EXACT, tw, th);
        // imgscalr works in INT_RGB; convert back to the pipeline's layout.
        return scaled.getType() == BufferedImage.TYPE_3BYTE_BGR ? scaled : BgrImages.toBgr(scaled);
    }

    private static int clamp(int side, int maxSize) {
        return Math.max(1, Math.min(maxSize, side));
    }
}
