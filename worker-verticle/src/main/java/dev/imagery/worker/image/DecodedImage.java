package dev.imagery.worker.image;

import java.awt.image.BufferedImage;

/**
 * A decoded first frame, always in one of the two {@link PixelLayout}s (TYPE_3BYTE_BGR, or its R, G, B twin where a
 * reader writes that faster), with any transparency composited over white, turned upright by its EXIF orientation
 * (JPEG).
 *
 * @param format lower-case format the reader recognised: "jpeg", "png", "gif" or "bmp"
 * @param width  upright width (for EXIF orientations 5-8 the stored height)
 * @param height upright height
 */
public record DecodedImage(BufferedImage image, String format, int width, int height) {
}
