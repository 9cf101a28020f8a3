package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The job deadline's abort handle (issue 7, item 2) on the real decoders: a decode aborted from another thread ends
 * at once with {@link PipelineAbortedException}, however far it had got, and reads no further.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class AbortHandleTest {

    private static final int ONE_MIB = 1024 * 1024;

    private final ImageDecoder decoder = new ImageDecoder();
    private final ExecutorService decoding = Executors.newSingleThreadExecutor(r -> new Thread(r, "decoding"));

    @AfterEach
    void stop() {
        decoding.shutdownNow();
    }

    @Test
    void aPngDecodeAbortedFromAnotherThreadStopsAndReadsNoFurther() throws Exception {
        byte[] png = largePng(4000, 3000);
        GatedInputStream source = new GatedInputStream(new ByteArrayInputStream(png), png.length / 2);
        AbortHandle abort = new AbortHandle();

        Future<DecodedImage> decode = decoding.submit(() -> decoder.decode(source, DecodeLimits.defaults(), abort));
        assertThat(source.reached.await(60, TimeUnit.SECONDS)).as("the decoder reached the middle of IDAT").isTrue();
        assertThat(abort.readerAttached()).as("the reader is decoding pixels").isTrue();
        assertThat(abort.waitingOnSource()).as("blocked on its input: the source's fault, not the image's").isTrue();

        abort.abort();
        source.release.countDown();

        PipelineAbortedException e = abortedFrom(decode);
        assertThat(e.stage()).isEqualTo("decoding");
        assertThat(e).hasMessage("image processing aborted during decoding");
        assertThat(abort.waitingOnSource()).isFalse();
        // The reader stopped at its next refill, not at the end of the file.
        assertThat(source.count).as("bytes read of %d", png.length).isLessThan(png.length / 2 + ONE_MIB);
    }

    @Test
    void aJpegScanBombAbortedFromAnotherThreadStopsWithinItsDecode() throws Exception {
        // 1600x1200 with 3000 refinement scans: tens of seconds of libjpeg without an abort (CostLimitsTest measures
        // 23 s for 3 MP and 2010 scans); the scan limit is raised so that it reaches the decoder.
        byte[] bomb = CostLimitsTest.scanBomb(CostLimitsTest.progressiveJpeg(1600, 1200), 3000);
        AbortHandle abort = new AbortHandle();
        DecodeLimits noScanLimit = new DecodeLimits(50_000_000, 512L * ONE_MIB, 100_000);

        Future<DecodedImage> decode = decoding.submit(() ->
                decoder.decode(new ByteArrayInputStream(bomb), noScanLimit, abort));
        awaitTrue(abort::readerAttached);
        assertThat(decode.isDone()).as("still decoding when aborted").isFalse();
        abort.abort(); // from this thread: the JDK's JPEG reader refuses its own abort() from here, the stream does not

        PipelineAbortedException e = abortedFrom(decode);
        assertThat(e.stage()).isEqualTo("decoding");
        // Our stream's refusal, wrapped by the reader: libjpeg stopped at its next read of the cached file.
        assertThat(e.getCause()).as("what the cut-off decoder threw, kept as the cause")
                .hasStackTraceContaining("decoding aborted");
    }

    @Test
    void aHandleAbortedBeforeTheDecodeStartsReadsNothing() {
        Crafted.CountingInputStream source = new Crafted.CountingInputStream(
                new ByteArrayInputStream(CostLimitsTest.progressiveJpeg(64, 64)));
        AbortHandle abort = new AbortHandle();
        abort.abort();

        Future<DecodedImage> decode = decoding.submit(() -> decoder.decode(source, DecodeLimits.defaults(), abort));

        assertThat(abortedFrom(decode).stage()).isEqualTo("decoding");
        assertThat(source.count).isZero();
    }

    @Test
    void theTestKnobHangsUntilAbortedThenThrowsLikeAnAbortedDecode() throws Exception {
        AbortHandle abort = new AbortHandle();
        CountDownLatch started = new CountDownLatch(1);
        Future<Void> hang = decoding.submit(() -> {
            started.countDown();
            abort.hangUntilAborted();
            return null;
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(hang.isDone()).isFalse();

        abort.abort();

        assertThat(abortedFrom(hang)).hasMessageContaining("decoding");
    }

    @Test
    void aHandleNeverAbortedChangesNothing() throws Exception {
        byte[] jpeg = CostLimitsTest.progressiveJpeg(300, 200);
        AbortHandle abort = new AbortHandle();

        ProcessedImage done = new ImagePipeline().process(new ByteArrayInputStream(jpeg), PipelineOptions.defaults(),
                abort);

        assertThat(done.width()).isEqualTo(300);
        assertThat(abort.aborted()).isFalse();
        assertThat(abort.readerAttached()).as("released after the decode").isFalse();
    }

    private static PipelineAbortedException abortedFrom(Future<?> decode) {
        try {
            decode.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(PipelineAbortedException.class);
            return (PipelineAbortedException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the aborted decode did not end within 30 s", e);
        }
        throw new AssertionError("the aborted decode returned an image");
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waited 30 s").isNegative();
            LockSupport.parkNanos(1_000_000L);
        }
    }

    /** Noisy enough not to compress to nothing, regular enough to encode quickly. */
    private static byte[] largePng(int width, int height) throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, (x * 31 + y * 17) * 0x010203 ^ (x * y));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** Counts what is read; at {@code gateAt} bytes, signals {@code reached} and blocks until {@code release}. */
    private static final class GatedInputStream extends FilterInputStream {
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final long gateAt;
        volatile long count;

        GatedInputStream(InputStream in, long gateAt) {
            super(in);
            this.gateAt = gateAt;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (count >= gateAt) {
                reached.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            // Never read across the gate, so that it is reached exactly.
            int max = count < gateAt ? (int) Math.min(len, gateAt - count) : len;
            int n = super.read(b, off, max);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
