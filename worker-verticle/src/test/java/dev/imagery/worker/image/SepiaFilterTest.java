package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.math.BigDecimal;
import java.math.RoundingMode;
import org.junit.jupiter.api.Test;

class SepiaFilterTest {

    @Test
    void blackStaysBlack() {
        assertThat(SepiaFilter.sepia(0, 0, 0)).containsExactly(0, 0, 0);
    }

    @Test
    void whiteClampsRedAndGreenButNotBlue() {
        // r: 1.351*255 = 344.505 -> 255; g: 1.203*255 = 306.765 -> 255; b: 0.937*255 = 238.935 -> 239
        assertThat(SepiaFilter.sepia(255, 255, 255)).containsExactly(255, 255, 239);
    }

    @Test
    void midToneByHand() {
        // r: 39.3 + 115.35 + 37.8 = 192.45 -> 192
        // g: 34.9 + 102.9 + 33.6 = 171.4 -> 171
        // b: 27.2 + 80.1 + 26.2 = 133.5 -> 134 (exactly half: rounds up)
        assertThat(SepiaFilter.sepia(100, 150, 200)).containsExactly(192, 171, 134);
    }

    @Test
    void onlyRedClamps() {
        // r: 1.351*200 = 270.2 -> 255; g: 1.203*200 = 240.6 -> 241; b: 0.937*200 = 187.4 -> 187
        assertThat(SepiaFilter.sepia(200, 200, 200)).containsExactly(255, 241, 187);
    }

    @Test
    void pureChannels() {
        // red 255: .393*255 = 100.215 -> 100, .349*255 = 88.995 -> 89, .272*255 = 69.36 -> 69
        assertThat(SepiaFilter.sepia(255, 0, 0)).containsExactly(100, 89, 69);
        // blue 255: .189*255 = 48.195 -> 48, .168*255 = 42.84 -> 43, .131*255 = 33.405 -> 33
        assertThat(SepiaFilter.sepia(0, 0, 255)).containsExactly(48, 43, 33);
    }

    @Test
    void matchesExactDecimalRoundHalfUpOnAGrid() {
        BigDecimal[][] m = {
            {new BigDecimal("0.393"), new BigDecimal("0.769"), new BigDecimal("0.189")},
            {new BigDecimal("0.349"), new BigDecimal("0.686"), new BigDecimal("0.168")},
            {new BigDecimal("0.272"), new BigDecimal("0.534"), new BigDecimal("0.131")},
        };
        for (int r = 0; r <= 255; r += 5) {
            for (int g = 0; g <= 255; g += 5) {
                for (int b = 0; b <= 255; b += 5) {
                    int[] actual = SepiaFilter.sepia(r, g, b);
                    for (int c = 0; c < 3; c++) {
                        BigDecimal v = m[c][0].multiply(BigDecimal.valueOf(r))
                                .add(m[c][1].multiply(BigDecimal.valueOf(g)))
                                .add(m[c][2].multiply(BigDecimal.valueOf(b)));
                        int expected = Math.min(255, v.setScale(0, RoundingMode.HALF_UP).intValueExact());
                        assertThat(actual[c]).as("channel %d of (%d,%d,%d)", c, r, g, b).isEqualTo(expected);
                    }
                }
            }
        }
    }

    @Test
    void appliesInPlaceInBgrByteOrder() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_3BYTE_BGR);
        img.setRGB(0, 0, rgb(100, 150, 200));
        img.setRGB(1, 0, rgb(200, 200, 200));

        SepiaFilter.applyInPlace(img);

        byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        assertThat(unsigned(data)).containsExactly(
                134, 171, 192, // B, G, R of (192, 171, 134)
                187, 241, 255);
        assertThat(img.getRGB(0, 0) & 0xFFFFFF).isEqualTo(rgb(192, 171, 134));
    }

    @Test
    void filtersOnlyTheSubImageItIsGiven() {
        BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                img.setRGB(x, y, rgb(100, 150, 200));
            }
        }

        SepiaFilter.applyInPlace(img.getSubimage(1, 1, 2, 1));

        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                boolean inside = y == 1 && (x == 1 || x == 2);
                assertThat(img.getRGB(x, y) & 0xFFFFFF).as("(%d,%d)", x, y)
                        .isEqualTo(inside ? rgb(192, 171, 134) : rgb(100, 150, 200));
            }
        }
    }

    @Test
    void refusesOtherLayouts() {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        assertThatThrownBy(() -> SepiaFilter.applyInPlace(img)).isInstanceOf(IllegalArgumentException.class);
    }

    private static int rgb(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }

    private static int[] unsigned(byte[] data) {
        int[] out = new int[data.length];
        for (int i = 0; i < data.length; i++) {
            out[i] = data[i] & 0xFF;
        }
        return out;
    }
}
