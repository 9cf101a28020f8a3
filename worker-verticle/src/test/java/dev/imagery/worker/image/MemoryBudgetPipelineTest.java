package dev.imagery.worker.image;

import static dev.imagery.worker.image.MemoryBudgetTest.abortedFrom;
import static dev.imagery.worker.image.MemoryBudgetTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7, item 3: the memory budget inside the real pipeline. A call reserves its image's estimate after the
 * header checks and before the pixels are decoded, holds it while it decodes, and gives it back however it ends:
 * a result, a corrupt image, an abort, a failing source. An image the cost limits refuse never waits. A call
 * waiting for memory reads nothing past the header and stops when aborted.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MemoryBudgetPipelineTest {

    private static final long MIB = 1024 * 1024;
    /** 1200x800 RGB: the JDK's PNG reader decodes into 3-byte BGR, so the estimate is 5 bytes per pixel. */
    private static final int W = 1200;
    private static final int H = 800;
    private static final long ESTIMATE = 5L * W * H;

    private final MemoryBudget budget = new MemoryBudget(64 * MIB);
    private final ImagePipeline pipeline = new ImagePipeline(budget);
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void aProcessedImageHoldsItsEstimateWhileItDecodesAndGivesItBack() throws Exception {
        byte[] png = realPng(W, H);
        Gate source = new Gate(png, png.length / 2, false);
        AbortHandle abort = new AbortHandle();

        Future<ProcessedImage> call = pool.submit(() -> pipeline.process(source, PipelineOptions.defaults(), abort,
                "ok"));
        source.awaitReached();
        assertThat(abort.readerAttached()).as("decoding pixels").isTrue();
        assertThat(budget.snapshot().reservedBytes()).as("the header's estimate, held").isEqualTo(ESTIMATE);
        assertThat(budget.snapshot().holders()).isEqualTo(1);
        source.open();

        assertThat(call.get(60, TimeUnit.SECONDS).width()).isEqualTo(W);
        assertReleased();
    }

    @Test
    void aCorruptImageGivesItsMemoryBack() throws Exception {
        // A valid header, then IDAT data that does not inflate: rejected while decoding, after the reservation. The
        // decoder fails at its first pixel read, so the proof that it reserved is that it first had to wait.
        MemoryBudget.Reservation others = budget.reserve(budget.capacityBytes() - ESTIMATE + 1, new AbortHandle(),
                "others");
        AbortHandle abort = new AbortHandle();

        Future<ProcessedImage> call = pool.submit(() -> pipeline.process(
                new ByteArrayInputStream(Crafted.png(W, H, 256 * 1024)), PipelineOptions.defaults(), abort, "corrupt"));
        awaitTrue("the call to wait for memory", abort::waitingForMemory);
        others.close();

        Throwable rejected = causeOf(call);
        assertThat(rejected).isInstanceOf(ImageRejectedException.class);
        assertThat(((ImageRejectedException) rejected).reason()).isEqualTo(RejectReason.CORRUPT);
        assertThat(budget.snapshot().admittedAfterWaiting()).isEqualTo(1);
        assertReleased();
    }

    @Test
    void anAbortedDecodeGivesItsMemoryBack() throws Exception {
        byte[] png = realPng(W, H);
        Gate source = new Gate(png, png.length / 2, false);
        AbortHandle abort = new AbortHandle();

        Future<ProcessedImage> call = pool.submit(() -> pipeline.process(source, PipelineOptions.defaults(), abort,
                "aborted"));
        source.awaitReached();
        assertThat(budget.snapshot().reservedBytes()).isEqualTo(ESTIMATE);
        abort.abort();
        source.open();

        assertThat(abortedFrom(call).stage()).isEqualTo("decoding");
        assertReleased();
    }

    @Test
    void aFailingSourceGivesItsMemoryBack() throws Exception {
        byte[] png = realPng(W, H);
        Gate source = new Gate(png, png.length / 2, true);

        Future<ProcessedImage> call = pool.submit(() -> pipeline.process(source, PipelineOptions.defaults(),
                new AbortHandle(), "failing"));
        source.awaitReached();
        assertThat(budget.snapshot().reservedBytes()).isEqualTo(ESTIMATE);
        source.open();

        assertThat(causeOf(call)).isInstanceOf(IOException.class).hasMessageContaining("the source broke");
        assertReleased();
    }

    @Test
    void aCallWaitingForMemoryReadsNothingPastTheHeaderAndStopsWhenAborted() throws Exception {
        MemoryBudget.Reservation others = budget.reserve(budget.capacityBytes(), new AbortHandle(), "others");
        byte[] png = realPng(W, H);
        Crafted.CountingInputStream source = new Crafted.CountingInputStream(new ByteArrayInputStream(png));
        AbortHandle abort = new AbortHandle();

        Future<ProcessedImage> call = pool.submit(() -> pipeline.process(source, PipelineOptions.defaults(), abort,
                "waiting"));
        awaitTrue("the call to wait for memory", abort::waitingForMemory);
        assertThat(abort.readerAttached()).as("no pixel decoding yet").isFalse();
        assertThat(source.count).as("bytes read of %d", png.length).isLessThan(png.length / 2);
        assertThat(budget.snapshot().waiting()).isEqualTo(1);

        abort.abort();

        assertThat(abortedFrom(call).stage()).isEqualTo("waiting for memory");
        assertThat(abort.waitingForMemory()).isFalse();
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(64 * MIB, 64 * MIB, 1, 0, 0));
        others.close();
        assertReleased();
    }

    @Test
    void aCallWaitingForMemoryGoesOnOnceItIsGivenBack() throws Exception {
        MemoryBudget.Reservation others = budget.reserve(budget.capacityBytes() - ESTIMATE + 1, new AbortHandle(),
                "others");
        AbortHandle abort = new AbortHandle();

        Future<ProcessedImage> call = pool.submit(() -> pipeline.process(new ByteArrayInputStream(realPng(W, H)),
                PipelineOptions.defaults(), abort, "waits"));
        awaitTrue("the call to wait for memory", abort::waitingForMemory);
        others.close();

        assertThat(call.get(60, TimeUnit.SECONDS).height()).isEqualTo(H);
        assertThat(budget.snapshot().admittedAfterWaiting()).isEqualTo(1);
        assertReleased();
    }

    @Test
    void anImageOverTheLimitIsRefusedWithoutWaitingEvenWhenTheBudgetIsFull() throws Exception {
        MemoryBudget.Reservation others = budget.reserve(budget.capacityBytes(), new AbortHandle(), "others");
        // 7000x6000 16-bit RGBA: ~720 MiB estimated, over the default limit of 512 MiB.
        byte[] flood = Crafted.png(7000, 6000, 16, 6, 1024);

        Future<ProcessedImage> call = pool.submit(() -> pipeline.process(new ByteArrayInputStream(flood),
                PipelineOptions.defaults(), new AbortHandle(), "flood"));

        assertThat(((ImageRejectedException) causeOf(call)).reason()).isEqualTo(RejectReason.TOO_MANY_BYTES);
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(64 * MIB, 64 * MIB, 1, 0, 0));
        others.close();
    }

    private void assertReleased() {
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(64 * MIB, 0, 0, 0,
                budget.snapshot().admittedAfterWaiting()));
    }

    private static Throwable causeOf(Future<?> call) throws Exception {
        try {
            call.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the call succeeded");
    }

    /** A real RGB PNG, noisy enough that its IDAT is large. */
    private static byte[] realPng(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, (x * 31 + y * 17) * 0x010203 ^ (x * y));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Serves {@code data} up to {@code gateAt}, then blocks until {@link #open()}; after that serves the rest, or,
     * if {@code failThen}, fails as a broken download does.
     */
    private static final class Gate extends FilterInputStream {
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch opened = new CountDownLatch(1);
        private final long gateAt;
        private final boolean failThen;
        private long count;

        Gate(byte[] data, long gateAt, boolean failThen) {
            super(new ByteArrayInputStream(data));
            this.gateAt = gateAt;
            this.failThen = failThen;
        }

        void awaitReached() throws InterruptedException {
            assertThat(reached.await(60, TimeUnit.SECONDS)).as("the decoder reached the gate").isTrue();
        }

        void open() {
            opened.countDown();
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
                    opened.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                if (failThen) {
                    throw new IOException("the source broke");
                }
            }
            int n = super.read(b, off, count < gateAt ? (int) Math.min(len, gateAt - count) : len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
