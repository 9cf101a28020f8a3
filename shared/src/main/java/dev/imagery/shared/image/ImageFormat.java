package dev.imagery.shared.image;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/** Image formats recognised from their first bytes, never from a client's Content-Type or file name. */
public enum ImageFormat {
  JPEG("image/jpeg", true),
  PNG("image/png", true),
  GIF("image/gif", true),
  BMP("image/bmp", true),
  /** Recognised so it can be refused by name: the JDK has no WebP reader. */
  WEBP("image/webp", false);

  /**
   * Bytes {@link #sniff} needs to tell every format apart: a BMP's file header and the start of its DIB header, up to
   * its bit depth, are the longest (RIFF....WEBP needs 12).
   */
  public static final int MIN_SNIFF_BYTES = 30;

  /**
   * The DIB header sizes the worker's decoder (the JDK's BMP reader) takes: BITMAPCOREHEADER (OS/2 1.x),
   * BITMAPINFOHEADER, its V2 and V3 extensions, BITMAPV4HEADER and BITMAPV5HEADER. Others (OS/2 2.x's 16 or 64) are
   * refused by that reader, so they are not BMPs we can process.
   */
  private static final Set<Integer> BMP_DIB_HEADER_SIZES = Set.of(12, 40, 52, 56, 108, 124);
  /** Bits per pixel of those headers; 0 is a V4/V5 bitmap holding an embedded JPEG or PNG. */
  private static final Set<Integer> BMP_BITS_PER_PIXEL = Set.of(0, 1, 4, 8, 16, 24, 32);
  private static final int BMP_FILE_HEADER_BYTES = 14;

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
    if (startsWith(head, ascii("BM")) && isBmpHeader(head)) {
      return Optional.of(BMP);
    }
    if (startsWith(head, ascii("RIFF")) && head.length >= 12
        && Arrays.equals(Arrays.copyOfRange(head, 8, 12), ascii("WEBP"))) {
      return Optional.of(WEBP);
    }
    return Optional.empty();
  }

  /**
   * "BM" alone is two ASCII letters that any text may start with: a BMP must also have a consistent file header
   * (the file size at least the headers, the reserved words zero, the pixel data after the headers and inside the
   * file) and a DIB header of a known size with one colour plane and a known bit depth.
   */
  private static boolean isBmpHeader(byte[] head) {
    if (head.length < MIN_SNIFF_BYTES) {
      return false;
    }
    long fileSize = uint32(head, 2);
    long pixelOffset = uint32(head, 10);
    long dibSize = uint32(head, 14);
    if (uint32(head, 6) != 0 || !BMP_DIB_HEADER_SIZES.contains((int) Math.min(dibSize, Integer.MAX_VALUE))) {
      return false;
    }
    long headers = BMP_FILE_HEADER_BYTES + dibSize;
    if (fileSize < headers || pixelOffset < headers || pixelOffset > fileSize) {
      return false;
    }
    // BITMAPCOREHEADER has 16-bit width and height, so its planes and bit depth come 4 bytes earlier.
    int planesAt = dibSize == 12 ? 22 : 26;
    return uint16(head, planesAt) == 1 && BMP_BITS_PER_PIXEL.contains(uint16(head, planesAt + 2));
  }

  private static int uint16(byte[] bytes, int at) {
    return (bytes[at] & 0xFF) | (bytes[at + 1] & 0xFF) << 8;
  }

  private static long uint32(byte[] bytes, int at) {
    return uint16(bytes, at) | (long) uint16(bytes, at + 2) << 16;
  }

  private static boolean startsWith(byte[] head, byte[] magic) {
    return head.length >= magic.length && Arrays.equals(Arrays.copyOf(head, magic.length), magic);
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
