package dev.imagery.worker.image;

import java.util.Locale;
import java.util.Optional;

/**
 * Recognises an image format from its magic number, so the API can answer 415 from the first bytes of an upload
 * and the worker can name an unsupported format. Recognising a format says nothing about whether we can decode
 * it (WebP is recognised but not decoded).
 */
public final class ImageFormatSniffer {

    /** Enough bytes to tell every format apart: WebP needs 12 ("RIFF", 4-byte size, "WEBP"). */
    public static final int MIN_SNIFF_BYTES = 12;

    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final byte[] GIF87A = {'G', 'I', 'F', '8', '7', 'a'};
    private static final byte[] GIF89A = {'G', 'I', 'F', '8', '9', 'a'};
    private static final byte[] BMP = {'B', 'M'};
    private static final byte[] RIFF = {'R', 'I', 'F', 'F'};
    private static final byte[] WEBP = {'W', 'E', 'B', 'P'};

    private ImageFormatSniffer() {
    }

    /** Same as {@link #sniffFormat(byte[], int)} over the whole array. */
    public static Optional<String> sniffFormat(byte[] firstBytes) {
        return sniffFormat(firstBytes, firstBytes.length);
    }

    /**
     * The format of data starting with {@code firstBytes[0..length)}: "jpeg", "png", "gif", "bmp" or "webp".
     * Only the first {@link #MIN_SNIFF_BYTES} bytes are looked at; fewer may be passed (a format whose magic
     * number is longer than what was given is then not recognised).
     */
    public static Optional<String> sniffFormat(byte[] firstBytes, int length) {
        int n = Math.min(length, firstBytes.length);
        if (startsWith(firstBytes, n, 0, JPEG)) {
            return Optional.of("jpeg");
        }
        if (startsWith(firstBytes, n, 0, PNG)) {
            return Optional.of("png");
        }
        if (startsWith(firstBytes, n, 0, GIF87A) || startsWith(firstBytes, n, 0, GIF89A)) {
            return Optional.of("gif");
        }
        if (startsWith(firstBytes, n, 0, BMP)) {
            return Optional.of("bmp");
        }
        if (startsWith(firstBytes, n, 0, RIFF) && startsWith(firstBytes, n, 8, WEBP)) {
            return Optional.of("webp");
        }
        return Optional.empty();
    }

    /** MIME type of a format name returned by {@link #sniffFormat}; IllegalArgumentException for any other. */
    public static String contentType(String format) {
        switch (format.toLowerCase(Locale.ROOT)) {
            case "jpeg":
            case "jpg":
                return "image/jpeg";
            case "png":
                return "image/png";
            case "gif":
                return "image/gif";
            case "bmp":
                return "image/bmp";
            case "webp":
                return "image/webp";
            default:
                throw new IllegalArgumentException("unknown image format: " + format);
        }
    }

    private static boolean startsWith(byte[] data, int length, int at, byte[] magic) {
        if (length < at + magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (data[at + i] != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
