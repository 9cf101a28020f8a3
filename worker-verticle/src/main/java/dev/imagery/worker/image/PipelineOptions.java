package dev.imagery.worker.image;

/**
 * Settings of one {@link ImagePipeline#process} call.
 *
 * @param maxPixels     largest width*height decoded; larger images are rejected before decoding
 * @param outputPolicy  "jpeg", "png" or "auto" (see {@link OutputFormat#choose})
 * @param jpegQuality   0..1, for the JPEG result and the thumbnail
 * @param thumbnailSize the thumbnail fits within thumbnailSize x thumbnailSize
 */
public record PipelineOptions(long maxPixels, String outputPolicy, float jpegQuality, int thumbnailSize) {

    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;
    public static final String DEFAULT_OUTPUT_POLICY = "auto";
    public static final int DEFAULT_THUMBNAIL_SIZE = 256;

    /** Validates eagerly, so a bad configuration fails at startup rather than on the first image. */
    public PipelineOptions {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        }
        OutputFormat.choose(outputPolicy, "jpeg"); // throws IllegalArgumentException for an unknown policy
        if (!(jpegQuality >= 0f && jpegQuality <= 1f)) {
            throw new IllegalArgumentException("jpegQuality must be within 0..1: " + jpegQuality);
        }
        if (thumbnailSize <= 0) {
            throw new IllegalArgumentException("thumbnailSize must be positive: " + thumbnailSize);
        }
    }

    /** 50 MP, auto, quality 0.85, 256 px thumbnails. */
    public static PipelineOptions defaults() {
        return new PipelineOptions(DEFAULT_MAX_PIXELS, DEFAULT_OUTPUT_POLICY, ImageEncoder.DEFAULT_JPEG_QUALITY,
                DEFAULT_THUMBNAIL_SIZE);
    }
}
