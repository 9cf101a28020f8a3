package dev.imagery.worker.image;

/** Machine-readable cause of an {@link ImageRejectedException}; stable names, safe to store and to alert on. */
public enum RejectReason {
    /** Not an image format we decode (unknown bytes, WebP, TIFF, 12-bit JPEG, ...). */
    UNSUPPORTED_FORMAT,
    /** Header dimensions exceed the configured pixel limit; refused before any pixel memory is allocated. */
    TOO_MANY_PIXELS,
    /** More scans than the configured limit (progressive JPEG): each one is another pass over the image. */
    TOO_MANY_SCANS,
    /** The decoded image and the pipeline's copies would take more memory than the configured limit. */
    TOO_MANY_BYTES,
    /** Recognised format but the data is broken: bad header, truncated, decoder warning or decoder failure. */
    CORRUPT,
    /** Zero bytes. */
    EMPTY
}
