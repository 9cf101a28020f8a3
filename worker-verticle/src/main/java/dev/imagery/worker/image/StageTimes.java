package dev.imagery.worker.image;

import java.util.concurrent.TimeUnit;

/**
 * How long each stage of one {@link ImagePipeline#process} call took, in nanoseconds. Plain numbers: the worker
 * records them as metrics; the pipeline knows nothing of metrics.
 *
 * @param decodeNanos    decoding, and the conversion to the working pixel layout (reading the upload included)
 * @param filterNanos    the sepia filter
 * @param encodeNanos    encoding the result
 * @param thumbnailNanos scaling and encoding the thumbnail
 */
public record StageTimes(long decodeNanos, long filterNanos, long encodeNanos, long thumbnailNanos) {

    long decodeMs() {
        return TimeUnit.NANOSECONDS.toMillis(decodeNanos);
    }

    long filterMs() {
        return TimeUnit.NANOSECONDS.toMillis(filterNanos);
    }

    long encodeMs() {
        return TimeUnit.NANOSECONDS.toMillis(encodeNanos);
    }

    long thumbnailMs() {
        return TimeUnit.NANOSECONDS.toMillis(thumbnailNanos);
    }
}
