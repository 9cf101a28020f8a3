package dev.imagery.worker.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Optional;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Encodes an image of either {@link PixelLayout} to bytes in memory (never temp files); other types are
 * converted to TYPE_3BYTE_BGR first. No metadata is written: the image was
 * built fresh by the pipeline, so nothing from the upload (EXIF, GPS, ICC, comments) can ride along.
 * JPEG goes through TurboJPEG when {@link JpegCodec#AUTO} finds it ({@link TurboJpeg}: 4:2:0, the accurate DCT,
 * libjpeg's quality scale, a bare JFIF header, as the JDK's writer does, ~2x faster), else through ImageIO.
 * PNG is written by {@link PngWriter} (Up filter, zlib level 1: smaller than zlib 6 unfiltered, 2x faster than
 * the JDK's writer). Stateless and thread-safe.
 */
public final class ImageEncoder {

    public static final float DEFAULT_JPEG_QUALITY = 0.85f;

    private final Optional<TurboJpeg> turbo;

    /** With {@link JpegCodec#AUTO}. */
    public ImageEncoder() {
        this(JpegCodec.AUTO);
    }

    public ImageEncoder(JpegCodec codec) {
        this.turbo = codec.turboJpeg();
    }

    /**
     * @param jpegQuality 0..1, used for JPEG only
     * @throws IllegalArgumentException for a quality outside 0..1
     */
    public byte[] encode(BufferedImage img, OutputFormat fmt, float jpegQuality) {
        if (!(jpegQuality >= 0f && jpegQuality <= 1f)) {
            throw new IllegalArgumentException("jpegQuality must be within 0..1: " + jpegQuality);
        }
        if (fmt == OutputFormat.JPEG && turbo.isPresent() && PixelLayout.isPlain(img)) {
            try {
                // libjpeg's scale, as the JDK's writer maps its 0..1 quality (0.85 -> 85); at least 1.
                int quality = Math.max(1, Math.round(jpegQuality * 100));
                return turbo.get().encode(PixelLayout.data(img), PixelLayout.of(img), img.getWidth(),
                        img.getHeight(), quality);
            } catch (IOException e) {
                throw new UncheckedIOException("encoding JPEG with TurboJPEG failed", e);
            }
        }
        // Pre-size for a typical photo (JPEG ~1 byte per 8 pixels, PNG ~1 per pixel) to avoid most array growth.
        long pixels = (long) img.getWidth() * img.getHeight();
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8,
                Math.max(8192L, fmt == OutputFormat.PNG ? pixels : pixels / 8)));
        try {
            switch (fmt) {
                case JPEG -> writeJpeg(img, jpegQuality, out);
                case PNG -> PngWriter.write(PixelLayout.of(img) != null ? img : BgrImages.toBgr(img), out);
                default -> throw new IllegalArgumentException("unknown format " + fmt);
            }
        } catch (IOException e) {
            // Only an in-memory stream is written to: an IOException here is an encoder bug, not I/O.
            throw new UncheckedIOException("encoding " + fmt + " failed", e);
        }
        return out.toByteArray();
    }

    private static void writeJpeg(BufferedImage img, float quality, ByteArrayOutputStream out) throws IOException {
        ImageWriter writer = firstWriter("jpeg");
        try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(ios);
            // Null metadata: the writer emits only a default JFIF header.
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
    }

    /**
     * The JDK's own writer for {@code format} when there is one, else the first registered. Other plugins on the
     * classpath (TwelveMonkeys registers a JPEG writer ahead of the JDK's) only delegate to it for RGB, and the
     * JDK's writes exactly the segments we expect: a default JFIF header, no EXIF, ICC or comments.
     */
    static ImageWriter firstWriter(String format) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
        ImageWriter chosen = null;
        while (writers.hasNext()) {
            ImageWriter candidate = writers.next();
            if (chosen == null || (isJdk(candidate) && !isJdk(chosen))) {
                if (chosen != null) {
                    chosen.dispose();
                }
                chosen = candidate;
            } else {
                candidate.dispose();
            }
        }
        if (chosen == null) {
            throw new IllegalStateException("no ImageIO writer for " + format);
        }
        return chosen;
    }

    private static boolean isJdk(ImageWriter writer) {
        return writer.getClass().getName().startsWith("com.sun.imageio.plugins.");
    }
}
