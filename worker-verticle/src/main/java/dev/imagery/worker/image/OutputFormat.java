package dev.imagery.worker.image;

import java.util.Locale;

/** Formats the worker writes. */
public enum OutputFormat {
    JPEG("image/jpeg", "jpg"),
    PNG("image/png", "png");

    private final String contentType;
    private final String extension;

    OutputFormat(String contentType, String extension) {
        this.contentType = contentType;
        this.extension = extension;
    }

    public String contentType() {
        return contentType;
    }

    /** File extension without the dot, for object keys. */
    public String extension() {
        return extension;
    }

    /**
     * The output format for an output policy and the decoded input format.
     *
     * @param policy      "jpeg", "png" or "auto" (case-insensitive); auto keeps JPEG input as JPEG and writes
     *                    everything else (png, gif, bmp) as PNG, since those users expect lossless output
     * @param inputFormat format name from {@link ImageDecoder}, e.g. "jpeg"; only consulted for "auto"
     * @throws IllegalArgumentException for an unknown policy
     */
    public static OutputFormat choose(String policy, String inputFormat) {
        if (policy == null) {
            throw new IllegalArgumentException("output policy is missing (expected jpeg, png or auto)");
        }
        switch (policy.trim().toLowerCase(Locale.ROOT)) {
            case "jpeg":
            case "jpg":
                return JPEG;
            case "png":
                return PNG;
            case "auto":
                return inputFormat != null && isJpeg(inputFormat) ? JPEG : PNG;
            default:
                throw new IllegalArgumentException("unknown output policy '" + policy + "' (expected jpeg, png or auto)");
        }
    }

    private static boolean isJpeg(String format) {
        String f = format.toLowerCase(Locale.ROOT);
        return f.equals("jpeg") || f.equals("jpg");
    }
}
