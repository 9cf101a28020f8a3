package dev.imagery.worker.image;

/**
 * What {@link ImagePipeline#process} produced.
 *
 * @param result       the sepia image, encoded as {@code resultFormat}
 * @param thumbnail    a JPEG thumbnail of the sepia image
 * @param width        width of the result: the input's, turned upright by its EXIF orientation
 * @param height       height of the result: the input's, turned upright by its EXIF orientation
 * @param inputFormat  decoded input format: "jpeg", "png", "gif" or "bmp"
 * @param decodeMs     time to decode (and convert to 3BYTE_BGR)
 * @param filterMs     time of the sepia filter
 * @param encodeMs     time to encode the result
 * @param thumbnailMs  time to scale and encode the thumbnail
 */
public record ProcessedImage(byte[] result, OutputFormat resultFormat, byte[] thumbnail, int width, int height,
        String inputFormat, long decodeMs, long filterMs, long encodeMs, long thumbnailMs) {

    /** Sizes instead of array identities, for logs. */
    @Override
    public String toString() {
        return "ProcessedImage[" + width + "x" + height + " " + inputFormat + " -> " + resultFormat
                + " " + result.length + " B, thumbnail " + thumbnail.length + " B, decode " + decodeMs
                + " ms, filter " + filterMs + " ms, encode " + encodeMs + " ms, thumbnail " + thumbnailMs + " ms]";
    }
}
