package dev.imagery.worker.image;

/**
 * Settings of one {@link ImagePipeline#process} call.
 *
 * @param maxPixels       largest width*height decoded; larger images are rejected before decoding
 * @param outputPolicy    "jpeg", "png" or "auto" (see {@link OutputFormat#choose})
 * @param jpegQuality     0..1, for the JPEG result and the thumbnail
 * @param thumbnailSize   the thumbnail fits within thumbnailSize x thumbnailSize
 * @param maxDecodedBytes largest {@link ImageHeader#estimatedDecodedBytes()}; larger images are rejected before
 *                        decoding
 * @param maxJpegScans    most scans a JPEG may have; more are rejected before decoding
 */
public record PipelineOptions(long maxPixels, String outputPolicy, float jpegQuality, int thumbnailSize,
        long maxDecodedBytes, int maxJpegScans) {

    public static final long DEFAULT_MAX_PIXELS = DecodeLimits.DEFAULT_MAX_PIXELS;
    public static final String DEFAULT_OUTPUT_POLICY = "auto";
    public static final int DEFAULT_THUMBNAIL_SIZE = 256;

    /** Validates eagerly, so a bad configuration fails at startup rather than on the first image. */
    public PipelineOptions {
        new DecodeLimits(maxPixels, maxDecodedBytes, maxJpegScans); // throws IllegalArgumentException when invalid
        OutputFormat.choose(outputPolicy, "jpeg"); // throws IllegalArgumentException for an unknown policy
        if (!(jpegQuality >= 0f && jpegQuality <= 1f)) {
            throw new IllegalArgumentException("jpegQuality must be within 0..1: " + jpegQuality);
        }
        if (thumbnailSize <= 0) {
            throw new IllegalArgumentException("thumbnailSize must be positive: " + thumbnailSize);
        }
    }

    /** With the default byte and scan limits ({@link DecodeLimits#ofPixels}). */
    public PipelineOptions(long maxPixels, String outputPolicy, float jpegQuality, int thumbnailSize) {
        this(maxPixels, outputPolicy, jpegQuality, thumbnailSize, DecodeLimits.DEFAULT_MAX_DECODED_BYTES,
                DecodeLimits.DEFAULT_MAX_JPEG_SCANS);
    }

    public DecodeLimits decodeLimits() {
        return new DecodeLimits(maxPixels, maxDecodedBytes, maxJpegScans);
    }

    /** 50 MP, auto, quality 0.85, 256 px thumbnails, 512 MiB, 100 scans. */
    public static PipelineOptions defaults() {
        return new PipelineOptions(DEFAULT_MAX_PIXELS, DEFAULT_OUTPUT_POLICY, ImageEncoder.DEFAULT_JPEG_QUALITY,
                DEFAULT_THUMBNAIL_SIZE);
    }
}
