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

    /** Stock ImageIO decode, as the independent reference. */
    static BufferedImage readWithImageIo(byte[] data) {
        try {
            return ImageIO.read(new ByteArrayInputStream(data));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
