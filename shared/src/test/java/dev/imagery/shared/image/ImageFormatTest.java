package dev.imagery.shared.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ImageFormatTest {

  @Test
  void recognisesEachSignature() {
    assertThat(ImageFormat.sniff(bytes(0xFF, 0xD8, 0xFF, 0xE0))).contains(ImageFormat.JPEG);
    assertThat(ImageFormat.sniff(bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13))).contains(ImageFormat.PNG);
    assertThat(ImageFormat.sniff(ascii("GIF89a\1\0\1\0"))).contains(ImageFormat.GIF);
    assertThat(ImageFormat.sniff(ascii("GIF87a\1\0\1\0"))).contains(ImageFormat.GIF);
    assertThat(ImageFormat.sniff(bmp(40, 24))).contains(ImageFormat.BMP);
    assertThat(ImageFormat.sniff(ascii("RIFF\0\0\0\0WEBPVP8 "))).contains(ImageFormat.WEBP);
  }

  @Test
  void refusesNonImagesAndTooFewBytes() {
    assertThat(ImageFormat.sniff(new byte[0])).isEmpty();
    assertThat(ImageFormat.sniff(bytes(0xFF, 0xD8))).isEmpty();
    assertThat(ImageFormat.sniff(ascii("<html><body>"))).isEmpty();
    assertThat(ImageFormat.sniff(ascii("RIFF\0\0\0\0WAVE"))).isEmpty();
    assertThat(ImageFormat.sniff(ascii("RIFF\0\0\0\0WEB"))).isEmpty();
    assertThat(ImageFormat.sniff(ascii("GIF88a\1\0"))).isEmpty();
    assertThat(ImageFormat.sniff(ascii("%PDF-1.7\n%..."))).isEmpty();
    // A PNG whose signature was mangled by a text-mode transfer.
    assertThat(ImageFormat.sniff(bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0D, 0x0A, 0x1A))).isEmpty();
  }

  @Test
  void aBmpNeedsAConsistentFileHeaderAndAKnownDibHeader() {
    for (int dibSize : new int[] {12, 40, 52, 56, 108, 124}) {
      for (int bits : new int[] {1, 4, 8, 24}) {
        assertThat(ImageFormat.sniff(bmp(dibSize, bits))).as("DIB %d, %d bits", dibSize, bits)
            .contains(ImageFormat.BMP);
      }
    }
    assertThat(ImageFormat.sniff(bmp(124, 0))).as("V5 with an embedded JPEG or PNG").contains(ImageFormat.BMP);
    assertThat(ImageFormat.sniff(bmp(40, 32))).contains(ImageFormat.BMP);

    // "BM" and anything: the check this sniff had before.
    assertThat(ImageFormat.sniff(ascii("BM\0\0\0\0\0\0"))).isEmpty();
    assertThat(ImageFormat.sniff(ascii("BMW is a car maker, not an image format."))).isEmpty();
    assertThat(ImageFormat.sniff(java.util.Arrays.copyOf(bmp(40, 24), 29))).as("too short to judge").isEmpty();
    assertThat(ImageFormat.sniff(withInt(bmp(40, 24), 6, 1))).as("reserved words not zero").isEmpty();
    assertThat(ImageFormat.sniff(withInt(bmp(40, 24), 14, 64))).as("OS/2 2.x header").isEmpty();
    assertThat(ImageFormat.sniff(withInt(bmp(40, 24), 14, 41))).as("no such DIB header").isEmpty();
    assertThat(ImageFormat.sniff(withInt(bmp(40, 24), 14, -1))).as("a huge DIB header").isEmpty();
    assertThat(ImageFormat.sniff(withShort(bmp(40, 24), 26, 2))).as("two planes").isEmpty();
    assertThat(ImageFormat.sniff(withShort(bmp(12, 24), 22, 0))).as("core header: no plane").isEmpty();
    assertThat(ImageFormat.sniff(withShort(bmp(40, 24), 28, 7))).as("7 bits per pixel").isEmpty();
    assertThat(ImageFormat.sniff(withInt(bmp(40, 24), 2, 20))).as("file smaller than its headers").isEmpty();
    assertThat(ImageFormat.sniff(withInt(bmp(40, 24), 10, 30))).as("pixels inside the headers").isEmpty();
    assertThat(ImageFormat.sniff(withInt(bmp(40, 24), 10, 5000))).as("pixels past the end of the file").isEmpty();
  }

  @Test
  void webpIsRecognisedButNotProcessable() {
    assertThat(ImageFormat.WEBP.processable()).isFalse();
    assertThat(ImageFormat.JPEG.processable()).isTrue();
    assertThat(ImageFormat.PNG.contentType()).isEqualTo("image/png");
  }

  /** The first 30 bytes of a 2x2 BMP: file header, then a DIB header of {@code dibSize} bytes. */
  private static byte[] bmp(int dibSize, int bitsPerPixel) {
    byte[] head = new byte[ImageFormat.MIN_SNIFF_BYTES];
    head[0] = 'B';
    head[1] = 'M';
    int pixelOffset = 14 + dibSize + (bitsPerPixel <= 8 && bitsPerPixel > 0 ? 4 << bitsPerPixel : 0);
    withInt(head, 2, pixelOffset + 16); // the file: headers, palette and 2 rows of 8 bytes
    withInt(head, 10, pixelOffset);
    withInt(head, 14, dibSize);
    if (dibSize == 12) {
      withShort(head, 18, 2);
      withShort(head, 20, 2);
      withShort(head, 22, 1);
      withShort(head, 24, bitsPerPixel);
    } else {
      withInt(head, 18, 2);
      withInt(head, 22, 2);
      withShort(head, 26, 1);
      withShort(head, 28, bitsPerPixel);
    }
    return head;
  }

  private static byte[] withShort(byte[] bytes, int at, int value) {
    bytes[at] = (byte) value;
    bytes[at + 1] = (byte) (value >> 8);
    return bytes;
  }

  private static byte[] withInt(byte[] bytes, int at, int value) {
    withShort(bytes, at, value);
    return withShort(bytes, at + 2, value >> 16);
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }
}
