package dev.imagery.worker.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;

/**
 * decode -> sepia -> encode result -> thumbnail of the sepia image -> encode thumbnail (JPEG), all in memory.
 * Blocking and CPU-bound (one image per core is the throughput model): run it on a worker thread.
 * Stateless and thread-safe.
 */
public final class ImagePipeline {

    private final ImageDecoder decoder = new ImageDecoder();
    private final ImageEncoder encoder = new ImageEncoder();
    private final Thumbnailer thumbnailer = new Thumbnailer();

    /**
     * @param raw the upload; read as far as needed, not closed
     * @throws ImageRejectedException the image can never be processed: fail the job with its message
     * @throws IOException            reading {@code raw} failed: transient, retry
     */
    public ProcessedImage process(InputStream raw, PipelineOptions opts) throws ImageRejectedException, IOException {
        long t0 = System.nanoTime();
        DecodedImage decoded = decoder.decode(raw, opts.decodeLimits());
        BufferedImage image = decoded.image();
        long t1 = System.nanoTime();

        SepiaFilter.applyInPlace(image);
        long t2 = System.nanoTime();

        OutputFormat format = OutputFormat.choose(opts.outputPolicy(), decoded.format());
        byte[] result = encoder.encode(image, format, opts.jpegQuality());
        long t3 = System.nanoTime();

        BufferedImage thumb = thumbnailer.thumbnail(image, opts.thumbnailSize());
        byte[] thumbnail = encoder.encode(thumb, OutputFormat.JPEG, opts.jpegQuality());
        long t4 = System.nanoTime();

        return new ProcessedImage(result, format, thumbnail, decoded.width(), decoded.height(), decoded.format(),
                millis(t1 - t0), millis(t2 - t1), millis(t3 - t2), millis(t4 - t3));
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
