package dev.imagery.shared.image;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/** Image formats recognised from their first bytes, never from a client's Content-Type or file name. */
public enum ImageFormat {
  JPEG("image/jpeg", true),
  PNG("image/png", true),
  GIF("image/gif", true),
  BMP("image/bmp", true),
  /** Recognised so it can be refused by name: the JDK has no WebP reader. */
  WEBP("image/webp", false);

  /** Bytes {@link #sniff} needs to tell every format apart (RIFF....WEBP is the longest signature). */
  public static final int MIN_SNIFF_BYTES = 12;

  private static final byte[] JPEG_MAGIC = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  private final String contentType;
  private final boolean processable;

  ImageFormat(String contentType, boolean processable) {
    this.contentType = contentType;
    this.processable = processable;
  }

  public String contentType() {
    return contentType;
  }

  public boolean processable() {
    return processable;
  }

  public static Optional<ImageFormat> sniff(byte[] head) {
    if (startsWith(head, JPEG_MAGIC)) {
      return Optional.of(JPEG);
    }
    if (startsWith(head, PNG_MAGIC)) {
      return Optional.of(PNG);
    }
    if (startsWith(head, ascii("GIF87a")) || startsWith(head, ascii("GIF89a"))) {
      return Optional.of(GIF);
    }
    if (startsWith(head, ascii("BM")) && head.length >= 6) {
      return Optional.of(BMP);
    }
    if (startsWith(head, ascii("RIFF")) && head.length >= 12
        && Arrays.equals(Arrays.copyOfRange(head, 8, 12), ascii("WEBP"))) {
      return Optional.of(WEBP);
    }
    return Optional.empty();
  }

  private static boolean startsWith(byte[] head, byte[] magic) {
    return head.length >= magic.length && Arrays.equals(Arrays.copyOf(head, magic.length), magic);
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
