package dev.imagery.worker.image;

/**
 * What {@link ImagePipeline#process} produced.
 *
 * @param result       the sepia image, encoded as {@code resultFormat}
 * @param thumbnail    a JPEG thumbnail of the sepia image
 * @param width        width of the result: the input's, turned upright by its EXIF orientation
 * @param height       height of the result: the input's, turned upright by its EXIF orientation
 * @param inputFormat  decoded input format: "jpeg", "png", "gif" or "bmp"
 * @param times        how long each stage took
 */
public record ProcessedImage(byte[] result, OutputFormat resultFormat, byte[] thumbnail, int width, int height,
        String inputFormat, StageTimes times) {

    /** Time to decode (and convert to the working layout), in milliseconds. */
    public long decodeMs() {
        return times.decodeMs();
    }

    /** Time of the sepia filter, in milliseconds. */
    public long filterMs() {
        return times.filterMs();
    }

    /** Time to encode the result, in milliseconds. */
    public long encodeMs() {
        return times.encodeMs();
    }

    /** Time to scale and encode the thumbnail, in milliseconds. */
    public long thumbnailMs() {
        return times.thumbnailMs();
    }

    /** Sizes instead of array identities, for logs. */
    @Override
    public String toString() {
        return "ProcessedImage[" + width + "x" + height + " " + inputFormat + " -> " + resultFormat
                + " " + result.length + " B, thumbnail " + thumbnail.length + " B, decode " + decodeMs()
                + " ms, filter " + filterMs() + " ms, encode " + encodeMs() + " ms, thumbnail " + thumbnailMs() + " ms]";
    }
}
