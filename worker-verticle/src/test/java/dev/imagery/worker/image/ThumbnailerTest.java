package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ThumbnailerTest {

    private final Thumbnailer thumbnailer = new Thumbnailer();

    @Test
    void fitsLandscapeWithinTheBoxKeepingAspect() {
        BufferedImage thumb = thumbnailer.thumbnail(solid(400, 200, new Color(200, 100, 50)), 256);

        assertThat(thumb.getWidth()).isEqualTo(256);
        assertThat(thumb.getHeight()).isEqualTo(128);
        assertThat(thumb.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
    }

    @Test
    void fitsPortraitWithinTheBoxKeepingAspect() {
        BufferedImage thumb = thumbnailer.thumbnail(solid(300, 900, Color.BLUE), 90);

        assertThat(thumb.getWidth()).isEqualTo(30);
        assertThat(thumb.getHeight()).isEqualTo(90);
    }

    @Test
    void keepsAtLeastOnePixelOfAThinStrip() {
        BufferedImage thumb = thumbnailer.thumbnail(solid(5000, 3, Color.RED), 256);

        assertThat(thumb.getWidth()).isEqualTo(256);
        assertThat(thumb.getHeight()).isEqualTo(1);
    }

    @Test
    void keepsColoursOfAFlatArea() {
        BufferedImage thumb = thumbnailer.thumbnail(solid(1000, 1000, new Color(200, 100, 50)), 64);

        int rgb = thumb.getRGB(32, 32);
        assertThat((rgb >> 16) & 0xFF).isBetween(198, 202);
        assertThat((rgb >> 8) & 0xFF).isBetween(98, 102);
        assertThat(rgb & 0xFF).isBetween(48, 52);
    }

    @Test
    void neverUpscalesAndReturnsACopy() {
        BufferedImage src = solid(100, 50, Color.GREEN);

        BufferedImage thumb = thumbnailer.thumbnail(src, 256);

        assertThat(thumb).isNotSameAs(src);
        assertThat(thumb.getWidth()).isEqualTo(100);
        assertThat(thumb.getHeight()).isEqualTo(50);
        assertThat(thumb.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
        assertThat(thumb.getRGB(10, 10)).isEqualTo(src.getRGB(10, 10));
    }

    private static BufferedImage solid(int w, int h, Color color) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }
}
