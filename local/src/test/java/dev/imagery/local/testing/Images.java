package dev.imagery.local.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Test images from resources (see images/SOURCES.md) and pixel helpers. */
public final class Images {

  private Images() {
  }

  public static byte[] resource(String path) {
    try (InputStream in = Images.class.getResourceAsStream("/images/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no test image " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static BufferedImage decode(byte[] bytes) {
    try {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
      if (image == null) {
        throw new AssertionError("not an image the JDK can read (" + bytes.length + " bytes)");
      }
      return image;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
