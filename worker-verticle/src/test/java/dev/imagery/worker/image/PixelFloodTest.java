package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Pixel floods are refused from the header, before a decoder allocates anything, including sizes under the JDK's
 * own 65500 cap: 30000x30000 would need 2.7 GB in TYPE_3BYTE_BGR.
 */
class PixelFloodTest {

    private static final long DEFAULT_LIMIT = PipelineOptions.DEFAULT_MAX_PIXELS;
    private static final int ONE_MIB = 1024 * 1024;
    /** The header is all that may be read (measured: 29 bytes of the PNG, 126 of the JPEG). */
    private static final long HEADER_READ_BUDGET = 4 * 1024;

    private final ImageDecoder decoder = new ImageDecoder();

    @Test
    void aPngClaiming30000x30000IsRefusedFromItsIhdr() {
        byte[] png = Crafted.png(30_000, 30_000, ONE_MIB);
        assertThat(TestImages.readWithImageIoHeader(png)).as("the JDK itself would accept the header")
                .isEqualTo(new int[] {30_000, 30_000});

        Crafted.CountingInputStream in = new Crafted.CountingInputStream(new ByteArrayInputStream(png));
        long t0 = System.nanoTime();
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(in, DEFAULT_LIMIT));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).isEqualTo("image is 30000x30000 = 900 MP, over the limit of 50 MP");
        assertThat(in.count).as("bytes read of %d", png.length).isLessThan(HEADER_READ_BUDGET);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aJpegClaiming30000x30000IsRefusedFromItsSofBeforeAnyDecoderRuns() {
        byte[] jpeg = Crafted.jpeg(30_000, 30_000, 8, ONE_MIB);
        Crafted.CountingInputStream in = new Crafted.CountingInputStream(new ByteArrayInputStream(jpeg));

        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(in, DEFAULT_LIMIT));

        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).isEqualTo("image is 30000x30000 = 900 MP, over the limit of 50 MP");
        assertThat(in.count).as("bytes read of %d", jpeg.length).isLessThan(HEADER_READ_BUDGET);
    }

    @Test
    void aJpegOverTheJdksOwnCapIsTooManyPixelsToo() {
        // jpeg-decoder's max_size.jpg: SOF says 65535x65535; our SOF check answers before the JDK's "65500".
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(TestImages.open("jpeg-decoder/crashtest/max_size.jpg"), DEFAULT_LIMIT));

        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).isEqualTo("image is 65535x65535 = 4294.8 MP, over the limit of 50 MP");
    }

    @Test
    void theLimitIsTheConfiguredOneNotAFixedNumber() throws Exception {
        byte[] jpeg = Crafted.jpeg(2000, 1000, 8, 0);

        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream(jpeg), 1_999_999));
        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        assertThat(e.getMessage()).isEqualTo("image is 2000x1000 = 2 MP, over the limit of 1.9 MP");

        byte[] png = Crafted.png(2000, 1000, 0);
        assertThat(catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream(png), 1_999_999)).reason())
                .isEqualTo(RejectReason.TOO_MANY_PIXELS);
        // At the limit the header passes; this crafted PNG then fails as the truncated data it is.
        assertThat(catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream(png), 2_000_000)).reason())
                .isEqualTo(RejectReason.CORRUPT);
    }

    @Test
    void aGifFrameIsCheckedByItsOwnSizeNotTheLogicalScreen() {
        // Pillow's decompression_bomb.gif: a 32x32 screen whose frame descriptor says 65535x1321.
        ImageRejectedException bomb = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(TestImages.open("pillow/decompression_bomb.gif"), DEFAULT_LIMIT));
        assertThat(bomb.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);

        // Crafted: a 16x16 screen with a 10000x10000 first frame.
        byte[] gif = Crafted.gif(16, 16, 0, 0, 10_000, 10_000);
        ImageRejectedException crafted = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream(gif), DEFAULT_LIMIT));
        assertThat(crafted.reason()).isEqualTo(RejectReason.TOO_MANY_PIXELS);
        assertThat(crafted.getMessage()).isEqualTo("image is 10000x10000 = 100 MP, over the limit of 50 MP");
    }

    @Test
    void aGifWhoseSecondFrameLiesFarOutsideTheScreenDecodesItsFirstFrameOnly() throws Exception {
        // Pillow's decompression_bomb_extents.gif: frame 2 sits at (65535, 65535). Only frame 1 is decoded.
        DecodedImage d = decoder.decode(TestImages.open("pillow/decompression_bomb_extents.gif"), DEFAULT_LIMIT);

        assertThat(d.width()).isEqualTo(100);
        assertThat(d.height()).isEqualTo(100);
    }

    @Test
    void aFirstFrameOffsetFarOutsideAHugeScreenAllocatesOnlyTheFrame() throws Exception {
        // A 65535x65535 logical screen and an 8x8 first frame at (65000, 65000): the frame is what we decode.
        byte[] gif = withFrameOffset(smallGif(), 65_535, 65_535, 65_000, 65_000);

        DecodedImage d = decoder.decode(new ByteArrayInputStream(gif), DEFAULT_LIMIT);

        assertThat(d.width()).isEqualTo(8);
        assertThat(d.height()).isEqualTo(8);
    }

    /** An 8x8 GIF written by the JDK. */
    private static byte[] smallGif() throws Exception {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, "gif", out)).isTrue();
        return out.toByteArray();
    }

    /** Rewrites the logical screen size and the first image descriptor's position of a GIF. */
    private static byte[] withFrameOffset(byte[] gif, int screenW, int screenH, int left, int top) {
        byte[] b = gif.clone();
        le16(b, 6, screenW);
        le16(b, 8, screenH);
        int i = 13;
        if ((b[10] & 0x80) != 0) {
            i += 3 * (1 << ((b[10] & 0x07) + 1));
        }
        while (b[i] == 0x21) { // extensions: label, then sub-blocks
            i += 2;
            while (b[i] != 0) {
                i += (b[i] & 0xFF) + 1;
            }
            i++;
        }
        assertThat(b[i]).as("image descriptor").isEqualTo((byte) 0x2C);
        le16(b, i + 1, left);
        le16(b, i + 3, top);
        return b;
    }

    private static void le16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
    }
}
