package dev.imagery.worker.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;

/** Test files copied under src/test/resources/images (see SOURCES.md there). */
final class TestImages {

    private TestImages() {
    }

    static byte[] bytes(String path) {
        try (InputStream in = TestImages.class.getResourceAsStream("/images/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("missing test resource images/" + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static InputStream open(String path) {
        return new ByteArrayInputStream(bytes(path));
    }

    /** Width and height as the JDK's own reader of the format reports them from the header. */
    static int[] readWithImageIoHeader(byte[] data) {
        try (javax.imageio.stream.ImageInputStream iis =
                new javax.imageio.stream.MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            java.util.Iterator<javax.imageio.ImageReader> readers = ImageIO.getImageReaders(iis);
            while (readers.hasNext()) {
                javax.imageio.ImageReader reader = readers.next();
                if (reader.getClass().getName().startsWith("com.sun.")) {
                    reader.setInput(iis, true, true);
                    int[] size = {reader.getWidth(0), reader.getHeight(0)};
                    reader.dispose();
                    return size;
                }
            }
            throw new IllegalArgumentException("no JDK reader for these bytes");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stock ImageIO decode, as the independent reference. */
    static BufferedImage readWithImageIo(byte[] data) {
        try {
            return ImageIO.read(new ByteArrayInputStream(data));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
