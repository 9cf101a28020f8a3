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
    assertThat(ImageFormat.sniff(ascii("BM\0\0\0\0\0\0"))).contains(ImageFormat.BMP);
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
  void webpIsRecognisedButNotProcessable() {
    assertThat(ImageFormat.WEBP.processable()).isFalse();
    assertThat(ImageFormat.JPEG.processable()).isTrue();
    assertThat(ImageFormat.PNG.contentType()).isEqualTo("image/png");
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
