package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.imagery.shared.config.ImageryConfig;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Limits that match the cost (issue 7, item 3): a JPEG's scans, each a pass of libjpeg over the whole image, and
 * the bytes an image takes to decode and process, both refused from the header. The hostile files are made here.
 */
class CostLimitsTest {

    private static final int ONE_MIB = 1024 * 1024;
    /** The header is all that may be read of a refused PNG (PixelFloodTest measures 29 bytes). */
    private static final long HEADER_READ_BUDGET = 4 * 1024;

    private final ImageDecoder decoder = new ImageDecoder();

    // ---- scans ----

    @Test
    void aProgressiveJpegWithThousandsOfScansIsRefusedFromItsMarkersBeforeAnyDecoderRuns() throws Exception {
        byte[] bomb = scanBomb(progressiveJpeg(512, 512), 5000);
        assertThat(JpegHeader.scan(new MemoryCacheImageInputStream(new ByteArrayInputStream(bomb))).scans())
                .as("the bomb really has its scans").isEqualTo(5010);

        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream(bomb), DecodeLimits.defaults()));

        assertThat(e).isNotNull();
        // The reason is ours, not the decoder's: libjpeg would have warned "Inconsistent progression sequence"
        // about the repeated refinement scan, but only after walking all of them (see the next test).
        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_SCANS);
        assertThat(e.getMessage()).isEqualTo("progressive JPEG with more than 100 scans, over the limit of 100"
                + " (each scan is one more pass over the whole image)");
        // No wall-clock assertion (timing lives in benchmarks): our reason, not libjpeg's, shows it came first.
    }

    @Test
    void withoutTheScanLimitTheSameBombReachesTheDecoder() {
        byte[] bomb = scanBomb(progressiveJpeg(64, 64), 300);

        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream(bomb), new DecodeLimits(50_000_000, 512L * ONE_MIB,
                        100_000)));

        assertThat(e.reason()).as(e.getMessage()).isEqualTo(RejectReason.CORRUPT);
        assertThat(e.getMessage()).contains("Inconsistent progression sequence");
    }

    @Test
    void aNormalProgressiveJpegCountsItsTenScansAndDecodes() throws Exception {
        byte[] jpeg = progressiveJpeg(300, 200);
        assertThat(JpegHeader.scan(new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg))).scans())
                .as("libjpeg's default progression for YCbCr").isEqualTo(10);

        DecodedImage d = decoder.decode(new ByteArrayInputStream(jpeg), DecodeLimits.defaults());
        assertThat(d.width()).isEqualTo(300);
        assertThat(d.height()).isEqualTo(200);

        // The limit is inclusive and configurable.
        assertThat(decoder.decode(new ByteArrayInputStream(jpeg), new DecodeLimits(50_000_000, 512L * ONE_MIB, 10))
                .width()).isEqualTo(300);
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> decoder.decode(
                new ByteArrayInputStream(jpeg), new DecodeLimits(50_000_000, 512L * ONE_MIB, 9)));
        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_SCANS);
        assertThat(e.getMessage()).startsWith("progressive JPEG with more than 9 scans, over the limit of 9");
    }

    @Test
    void theScanCountSkipsEntropyCodedDataRestartMarkersAndStuffedBytes() throws Exception {
        // restarts.jpg: baseline with RST markers in its one scan; jpg-progressive.jpg: a real progressive file.
        assertThat(scans(TestImages.bytes("jpeg-decoder/restarts.jpg"), 100)).isEqualTo(1);
        assertThat(scans(TestImages.bytes("libjpeg-turbo/testorig.jpg"), 100)).isEqualTo(1);
        int progressive = scans(TestImages.bytes("jpeg-decoder/mozilla/jpg-progressive.jpg"), 100);
        assertThat(progressive).isBetween(2, 20);
        // The walk stops at the first scan over the limit.
        assertThat(scans(TestImages.bytes("jpeg-decoder/mozilla/jpg-progressive.jpg"), 1)).isEqualTo(2);
        // Random entropy data full of 0xFF00 and 0xFFD0-D7 is skipped, not taken for markers.
        assertThat(scans(withStuffedScan(), 100)).isEqualTo(1);
    }

    @Test
    void theScanWalkPutsTheStreamBackSoTheDecoderReadsFromTheStart() throws Exception {
        byte[] jpeg = progressiveJpeg(64, 48);
        MemoryCacheImageInputStream iis = new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg));
        JpegHeader h = JpegHeader.scan(iis, 100, Long.MAX_VALUE);
        assertThat(iis.getStreamPosition()).isZero();
        assertThat(h.progressive()).isTrue();
        assertThat(h.width()).isEqualTo(64);
        assertThat(h.components()).isEqualTo(3);
    }

    // ---- decoded bytes ----

    @Test
    void a16BitRgbaPngUnderThePixelLimitButOverTheByteLimitIsRefusedFromItsHeader() {
        // 42 MP passes IMAGERY_MAX_PIXELS (50 MP), but 8 bytes per pixel decoded, a BGR copy and Java2D's
        // conversion make ~720 MiB.
        byte[] png = Crafted.png(7000, 6000, 16, 6, ONE_MIB);
        Crafted.CountingInputStream in = new Crafted.CountingInputStream(new ByteArrayInputStream(png));
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();

        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(in, DecodeLimits.defaults()));

        long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_BYTES);
        assertThat(e.getMessage()).isEqualTo(
                "image is 7000x6000 PNG and needs about 720 MiB of memory to process, over the limit of 512 MiB");
        assertThat(in.count).as("bytes read of %d", png.length).isLessThan(HEADER_READ_BUDGET);
        // Nothing like the 336 MB raster was allocated: a few buffers and the reader's state.
        assertThat(allocated).as("bytes allocated").isLessThan(16L * ONE_MIB);
    }

    @Test
    void theSameSizeIn8BitGrayPassesTheByteLimit() {
        // 42 MP of 8-bit gray: 1 byte per pixel decoded, ~5 in all (~200 MiB). It passes the header checks and then
        // fails as the truncated data it is: the byte limit is about bytes per pixel, not pixels.
        byte[] png = Crafted.png(7000, 6000, 8, 0, 0);

        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class,
                () -> decoder.decode(new ByteArrayInputStream(png), DecodeLimits.defaults()));

        assertThat(e.reason()).as(e.getMessage()).isEqualTo(RejectReason.CORRUPT);
    }

    @Test
    void theByteLimitIsTheConfiguredOne() throws Exception {
        byte[] jpeg = progressiveJpeg(300, 200); // 60000 px: working phase 5 B/px, coefficients 6 + raster 3 = 9
        long estimate = 9L * 300 * 200;
        assertThat(decoder.decode(new ByteArrayInputStream(jpeg), new DecodeLimits(50_000_000, estimate, 100))
                .width()).isEqualTo(300);
        ImageRejectedException e = catchThrowableOfType(ImageRejectedException.class, () -> decoder.decode(
                new ByteArrayInputStream(jpeg), new DecodeLimits(50_000_000, estimate - 1, 100)));
        assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_BYTES);
        assertThat(e.getMessage()).isEqualTo("image is 300x200 JPEG and needs about 540000 bytes of memory to process,"
                + " over the limit of 539999 bytes");
    }

    @Test
    void theConfigurationDefaultsAreTheDecodersDefaults() {
        // The defaults are written twice (shared config, worker pipeline): they must not drift apart.
        ImageryConfig.Worker worker = ImageryConfig.fromEnv(Map.of()).worker();
        assertThat(worker.maxDecodedBytes()).isEqualTo(DecodeLimits.DEFAULT_MAX_DECODED_BYTES);
        assertThat(worker.maxJpegScans()).isEqualTo(DecodeLimits.DEFAULT_MAX_JPEG_SCANS);
        assertThat(worker.maxPixels()).isEqualTo(DecodeLimits.DEFAULT_MAX_PIXELS);
    }

    // ---- helpers ----

    private static int scans(byte[] jpeg, int limit) throws Exception {
        return JpegHeader.scan(new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg)), limit, Long.MAX_VALUE).scans();
    }

    /** A progressive JPEG of a noisy picture, written by the JDK's encoder (libjpeg's default 10-scan script). */
    static byte[] progressiveJpeg(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        Random random = new Random(3);
        for (int i = 0; i < 200; i++) {
            g.setColor(new Color(random.nextInt()));
            g.fillOval(random.nextInt(width), random.nextInt(height), width / 4 + 1, height / 4 + 1);
        }
        g.dispose();
        ImageWriter writer = ImageEncoder.firstWriter("jpeg");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            writer.setOutput(ios);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * The scan bomb: the last scan (SOS segment and its entropy-coded data, up to EOI) repeated {@code copies}
     * more times. Each copy is a refinement pass libjpeg walks over every block of the image.
     */
    static byte[] scanBomb(byte[] jpeg, int copies) {
        int lastSos = -1;
        for (int i = 0; i + 1 < jpeg.length; i++) {
            if (jpeg[i] == (byte) 0xFF && jpeg[i + 1] == (byte) 0xDA) {
                lastSos = i;
            }
        }
        int eoi = jpeg.length - 2;
        assertThat(lastSos).isPositive();
        assertThat(jpeg[eoi + 1]).isEqualTo((byte) 0xD9);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, eoi);
        for (int i = 0; i < copies; i++) {
            out.write(jpeg, lastSos, eoi - lastSos);
        }
        out.write(jpeg, eoi, 2);
        return out.toByteArray();
    }

    /** Crafted.jpeg's one scan with entropy data made of 0xFF00 stuffing and RST markers between random bytes. */
    private static byte[] withStuffedScan() {
        byte[] base = Crafted.jpeg(64, 64, 8, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(base, 0, base.length - 2); // up to EOI
        Random random = new Random(5);
        for (int i = 0; i < 50_000; i++) {
            int r = random.nextInt(10);
            if (r == 0) {
                out.write(0xFF);
                out.write(0x00);
            } else if (r == 1) {
                out.write(0xFF);
                out.write(0xD0 + random.nextInt(8));
            } else {
                out.write(random.nextInt(255));
            }
        }
        out.write(0xFF);
        out.write(0xD9);
        return out.toByteArray();
    }

}
