package dev.imagery.worker.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;

/**
 * decode -> sepia -> encode result -> thumbnail of the sepia image -> encode thumbnail (JPEG), all in memory.
 * Blocking and CPU-bound (one image per core is the throughput model): run it on a worker thread.
 * Thread-safe; its one state is the {@link MemoryBudget} its calls share: each call holds its image's
 * {@link ImageHeader#estimatedDecodedBytes()} from the end of the header checks until it returns or throws.
 */
public final class ImagePipeline {

    private final ImageDecoder decoder;
    private final ImageEncoder encoder;
    private final Thumbnailer thumbnailer = new Thumbnailer();
    private final MemoryBudget memory;

    /**
     * A pipeline whose calls never wait for memory, for callers that run one image at a time, with
     * {@link JpegCodec#AUTO}: TurboJPEG where Debian's libturbojpeg-java is installed.
     */
    public ImagePipeline() {
        this(MemoryBudget.unlimited(), JpegCodec.AUTO);
    }

    /** @param memory the worker's budget, shared by all its jobs (one pipeline per worker) */
    public ImagePipeline(MemoryBudget memory) {
        this(memory, JpegCodec.AUTO);
    }

    /** A pipeline whose calls never wait for memory, with the given JPEG codec. */
    public ImagePipeline(JpegCodec codec) {
        this(MemoryBudget.unlimited(), codec);
    }

    /**
     * @param memory the worker's budget, shared by all its jobs (one pipeline per worker)
     * @param codec  which library decodes and encodes JPEGs ({@code IMAGERY_JPEG_CODEC})
     */
    public ImagePipeline(MemoryBudget memory, JpegCodec codec) {
        this.memory = memory;
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
        return process(raw, opts, abort, "-");
    }

    /**
     * {@link #process(InputStream, PipelineOptions, AbortHandle)}, waiting if need be for the image's memory in the
     * worker's {@link MemoryBudget}, after the header checks and before decoding (the wait ends when
     * {@code abort} is aborted, with {@link PipelineAbortedException}).
     *
     * @param imageId names the image in the log lines of a wait for memory
     */
    public ProcessedImage process(InputStream raw, PipelineOptions opts, AbortHandle abort, String imageId)
            throws ImageRejectedException, IOException {
        try (Claim claim = new Claim(abort, imageId)) {
            return process(raw, opts, abort, claim);
        }
    }

    private ProcessedImage process(InputStream raw, PipelineOptions opts, AbortHandle abort, Claim claim)
            throws ImageRejectedException, IOException {
        long t0 = System.nanoTime();
        DecodedImage decoded = decoder.decode(raw, opts.decodeLimits(), abort, claim);
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
                new StageTimes(t1 - t0, t2 - t1, t3 - t2, t4 - t3));
    }

    /**
     * One call's admission: reserves the image's estimate once the decoder has checked its header, and gives it back
     * when the call ends, whichever way it ends (result, rejection, abort, any exception or error).
     */
    private final class Claim implements ImageDecoder.Admission, AutoCloseable {

        private final AbortHandle abort;
        private final String imageId;
        private MemoryBudget.Reservation reservation;

        Claim(AbortHandle abort, String imageId) {
            this.abort = abort;
            this.imageId = imageId;
        }

        @Override
        public void admit(ImageHeader header) {
            if (reservation != null) {
                throw new IllegalStateException("the image's memory is reserved already");
            }
            reservation = memory.reserve(header.estimatedDecodedBytes(), abort, imageId);
        }

        @Override
        public void close() {
            if (reservation != null) {
                reservation.close();
            }
        }
    }
}
