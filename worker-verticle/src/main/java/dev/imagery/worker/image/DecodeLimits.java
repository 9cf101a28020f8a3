package dev.imagery.worker.image;

/**
 * What one decode may cost, each checked from the header before a decoder allocates or walks any pixel data.
 *
 * @param maxPixels       largest width*height ({@code IMAGERY_MAX_PIXELS})
 * @param maxDecodedBytes largest {@link ImageHeader#estimatedDecodedBytes()} ({@code IMAGERY_MAX_DECODED_BYTES}):
 *                        pixels count the same for a 1-bit and a 16-bit RGBA PNG, bytes do not
 * @param maxJpegScans    most scans (SOS markers) a JPEG may have ({@code IMAGERY_MAX_JPEG_SCANS}): libjpeg walks
 *                        every block of the image once per scan, so the scans multiply the CPU cost
 */
public record DecodeLimits(long maxPixels, long maxDecodedBytes, int maxJpegScans) {

    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    /**
     * 512 MiB: every 8-bit RGB, gray or palette image at the 50 MP pixel limit stays under it (the largest, a 50 MP
     * progressive RGB JPEG with libjpeg's coefficients, is estimated at ~430 MiB), and 8-bit RGBA PNGs up to ~48 MP,
     * so the limit refuses what pixels alone let through: 16-bit RGB(A) PNGs over ~29-33 MP (16-bit RGBA is 8 bytes
     * per pixel decoded, ~18 with the pipeline's copies) and progressive CMYK JPEGs over ~35 MP. Two jobs at the
     * limit fit the worker's 1.5 GiB heap (k8s/base, 2 jobs per pod) with 0.5 GiB left for the rest.
     */
    public static final long DEFAULT_MAX_DECODED_BYTES = 512L * 1024 * 1024;

    /**
     * 100: libjpeg's own progressive encodings have 10 scans (6 for gray), mozjpeg's optimised ones a dozen or so,
     * and the most a legal file has is in the thousands only because the format allows 1-coefficient refinement
     * scans no encoder writes. nvImageCodec refuses over 256 by default (NVIMGCODEC_MAX_JPEG_SCANS) and
     * libjpeg-turbo's djpeg offers -maxscans for the same attack; at 100 a 50 MP scan bomb costs at most ten times a
     * normal progressive decode. Measured: a 3 MP progressive JPEG with 2010 scans (its refinement scan repeated)
     * takes 23 s to decode, ~11 ms per scan; with the limit it is refused in 21 ms.
     */
    public static final int DEFAULT_MAX_JPEG_SCANS = 100;

    /** Validates eagerly, so a bad configuration fails at startup rather than on the first image. */
    public DecodeLimits {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        }
        if (maxDecodedBytes <= 0) {
            throw new IllegalArgumentException("maxDecodedBytes must be positive: " + maxDecodedBytes);
        }
        // The header walk counts up to maxJpegScans + 1, which must not overflow.
        if (maxJpegScans <= 0 || maxJpegScans == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxJpegScans must be within 1..2^31-2: " + maxJpegScans);
        }
    }

    /** The given pixel limit with the default byte and scan limits. */
    public static DecodeLimits ofPixels(long maxPixels) {
        return new DecodeLimits(maxPixels, DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_JPEG_SCANS);
    }

    public static DecodeLimits defaults() {
        return ofPixels(DEFAULT_MAX_PIXELS);
    }
}
