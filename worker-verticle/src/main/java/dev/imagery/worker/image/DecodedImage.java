package dev.imagery.worker.image;

import java.awt.image.BufferedImage;

/**
 * A decoded first frame, always TYPE_3BYTE_BGR with any transparency composited over white.
 *
 * @param format lower-case format the reader recognised: "jpeg", "png", "gif" or "bmp"
 */
public record DecodedImage(BufferedImage image, String format, int width, int height) {
}
