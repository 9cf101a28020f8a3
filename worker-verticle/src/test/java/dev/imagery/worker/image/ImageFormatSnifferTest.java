package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ImageFormatSnifferTest {

    @Test
    void needsTwelveBytes() {
        assertThat(ImageFormatSniffer.MIN_SNIFF_BYTES).isEqualTo(12);
    }

    @Test
    void recognisesEachMagicNumber() {
        assertThat(ImageFormatSniffer.sniffFormat(bytes(0xFF, 0xD8, 0xFF, 0xE0))).contains("jpeg");
        assertThat(ImageFormatSniffer.sniffFormat(bytes(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13)))
                .contains("png");
        assertThat(ImageFormatSniffer.sniffFormat(ascii("GIF87a"))).contains("gif");
        assertThat(ImageFormatSniffer.sniffFormat(ascii("GIF89a\u0001\u0000"))).contains("gif");
        assertThat(ImageFormatSniffer.sniffFormat(ascii("BM6\u0000"))).contains("bmp");
        assertThat(ImageFormatSniffer.sniffFormat(ascii("RIFF\u0010\u0020\u0000\u0000WEBP"))).contains("webp");
    }

    @Test
    void rejectsNearMissesAndNonImages() {
        assertThat(ImageFormatSniffer.sniffFormat(new byte[0])).isEmpty();
        assertThat(ImageFormatSniffer.sniffFormat(bytes(0xFF, 0xD8))).isEmpty(); // too short for JPEG
        assertThat(ImageFormatSniffer.sniffFormat(ascii("GIF88a"))).isEmpty();
        assertThat(ImageFormatSniffer.sniffFormat(ascii("RIFF\u0010\u0020\u0000\u0000WAVE"))).isEmpty();
        assertThat(ImageFormatSniffer.sniffFormat(ascii("RIFF\u0010\u0020\u0000\u0000WEB"))).isEmpty();
        assertThat(ImageFormatSniffer.sniffFormat(ascii("<html><body>"))).isEmpty();
        assertThat(ImageFormatSniffer.sniffFormat(ascii("%PDF-1.7\n%..."))).isEmpty();
        // PNG signature with the high bit of byte 1 cleared (7-bit transfer), as in PngSuite xs1n0g01
        assertThat(ImageFormatSniffer.sniffFormat(bytes(0x09, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A))).isEmpty();
    }

    @Test
    void honoursTheGivenLength() {
        byte[] buffer = Arrays.copyOf(bytes(0xFF, 0xD8, 0xFF), 64);
        assertThat(ImageFormatSniffer.sniffFormat(buffer, 3)).contains("jpeg");
        assertThat(ImageFormatSniffer.sniffFormat(buffer, 2)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
        "pillow/hopper.jpg, jpeg",
        "pillow/hopper.gif, gif",
        "pillow/hopper.bmp, bmp",
        "pillow/hopper.webp, webp",
        "pngsuite/basn2c08.png, png",
        "jpeg-decoder/mozilla/jpg-progressive.jpg, jpeg",
    })
    void sniffsRealFilesFromTheirFirstTwelveBytes(String path, String format) {
        byte[] head = Arrays.copyOf(TestImages.bytes(path), ImageFormatSniffer.MIN_SNIFF_BYTES);
        assertThat(ImageFormatSniffer.sniffFormat(head)).contains(format);
    }

    @Test
    void mapsFormatsToContentTypes() {
        assertThat(ImageFormatSniffer.contentType("jpeg")).isEqualTo("image/jpeg");
        assertThat(ImageFormatSniffer.contentType("png")).isEqualTo("image/png");
        assertThat(ImageFormatSniffer.contentType("gif")).isEqualTo("image/gif");
        assertThat(ImageFormatSniffer.contentType("bmp")).isEqualTo("image/bmp");
        assertThat(ImageFormatSniffer.contentType("webp")).isEqualTo("image/webp");
        assertThatThrownBy(() -> ImageFormatSniffer.contentType("tiff")).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
