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

    private final ImageDecoder decoder;
    private final ImageEncoder encoder;
    private final Thumbnailer thumbnailer = new Thumbnailer();

    /** With {@link JpegCodec#AUTO}: TurboJPEG where Debian's libturbojpeg-java is installed. */
    public ImagePipeline() {
        this(JpegCodec.AUTO);
    }

    public ImagePipeline(JpegCodec codec) {
        this.decoder = new ImageDecoder(codec);
        this.encoder = new ImageEncoder(codec);
    }

    /**
     * @param raw the upload; read as far as needed, not closed
     * @throws ImageRejectedException the image can never be processed: fail the job with its message
     * @throws IOException            reading {@code raw} failed: transient, retry
     */
    public ProcessedImage process(InputStream raw, PipelineOptions opts) throws ImageRejectedException, IOException {
        return process(raw, opts, new AbortHandle());
    }

    /**
     * {@link #process(InputStream, PipelineOptions)} that another thread can stop through {@code abort}: the
     * decode at its next read, the other stages at the next stage boundary (see {@link AbortHandle}).
     *
     * @throws PipelineAbortedException {@code abort} was aborted
     */
    public ProcessedImage process(InputStream raw, PipelineOptions opts, AbortHandle abort)
            throws ImageRejectedException, IOException {
        long t0 = System.nanoTime();
        DecodedImage decoded = decoder.decode(raw, opts.decodeLimits(), abort);
        BufferedImage image = decoded.image();
        long t1 = System.nanoTime();

        abort.check("the sepia filter");
        SepiaFilter.applyInPlace(image);
        long t2 = System.nanoTime();

        abort.check("encoding");
        OutputFormat format = OutputFormat.choose(opts.outputPolicy(), decoded.format());
        byte[] result = encoder.encode(image, format, opts.jpegQuality());
        long t3 = System.nanoTime();

        abort.check("the thumbnail");
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
