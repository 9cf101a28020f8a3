package dev.imagery.local.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Large photos made in the test, for the worker's memory: what costs memory is the pixel count, while overlapping
 * flat ovals compress to a small file that uploads fast.
 */
public final class HeavyImages {

  private HeavyImages() {
  }

  /**
   * A {@code width x height} 8-bit RGB JPEG (quality 0.75), progressive (libjpeg's 10-scan script) or baseline;
   * {@code seed} picks the picture, so that two images are two uploads.
   */
  public static byte[] jpeg(int width, int height, boolean progressive, long seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = image.createGraphics();
    Random random = new Random(seed);
    for (int i = 0; i < 60; i++) {
      g.setColor(new Color(random.nextInt()));
      g.fillOval(random.nextInt(width) - width / 8, random.nextInt(height) - height / 8, width / 3, height / 3);
    }
    g.dispose();
    ImageWriter writer = jdkJpegWriter();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(0.75f);
      if (progressive) {
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      }
      writer.setOutput(stream);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /** The JDK's own (libjpeg) writer, whatever other plugins are on the class path. */
  private static ImageWriter jdkJpegWriter() {
    java.util.Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
    ImageWriter first = null;
    while (writers.hasNext()) {
      ImageWriter writer = writers.next();
      if (writer.getClass().getName().startsWith("com.sun.imageio.")) {
        return writer;
      }
      first = first == null ? writer : first;
    }
    if (first == null) {
      throw new IllegalStateException("no JPEG writer");
    }
    return first;
  }
}
