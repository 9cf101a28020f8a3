package dev.imagery.worker.image;

import dev.imagery.shared.image.ImageFormat;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes the first frame of an untrusted upload into TYPE_3BYTE_BGR, or says why it never can be.
 *
 * <p>Defences, in order: the format is chosen from the bytes (never from a name or Content-Type) and limited to
 * {@link #SUPPORTED_FORMATS}; the dimensions are read from the header and checked against the pixel limit before
 * any pixel memory is allocated (decompression bombs); any decoder warning or exception rejects the image,
 * because the JDK otherwise returns truncated JPEGs as silently grey-filled images. Failures of the caller's
 * stream are rethrown as IOException (retry), never reported as a corrupt image.
 *
 * <p>Blocking and CPU-bound: call it from a worker thread. Stateless and thread-safe.
 */
public final class ImageDecoder {

    /** Lower-case ImageIO format names we accept; other readers the JDK has (TIFF, WBMP) are refused. */
    public static final Set<String> SUPPORTED_FORMATS = Set.of("jpeg", "png", "gif", "bmp");

    private static final String SUPPORTED_HINT = "please upload a JPEG, PNG, GIF or BMP image";
    private static final int MAX_DETAIL_CHARS = 160;

    /**
     * @param in        the raw upload; read as far as the decoder needs, never closed here
     * @param maxPixels largest width*height accepted
     * @throws ImageRejectedException the image can never be processed (see {@link RejectReason})
     * @throws IOException            {@code in} itself failed: transient, worth a retry
     */
    public DecodedImage decode(InputStream in, long maxPixels) throws ImageRejectedException, IOException {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        }
        SourceTrackingInputStream source = new SourceTrackingInputStream(in);
        // Built by hand rather than with ImageIO.createImageInputStream, which caches to temp files unless the
        // global ImageIO.setUseCache(false) is set; closing it does not close the caller's stream.
        ImageInputStream iis = new MemoryCacheImageInputStream(source);
        try {
            return decode(iis, source, maxPixels);
        } finally {
            iis.close();
        }
    }

    private DecodedImage decode(ImageInputStream iis, SourceTrackingInputStream source, long maxPixels)
            throws ImageRejectedException, IOException {
        byte[] head = readHead(iis);
        if (head.length == 0) {
            throw new ImageRejectedException(RejectReason.EMPTY, "the file is empty");
        }
        ImageReader reader = findReader(iis, source, head);
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        try {
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
            // seekForwardOnly: only frame 0 is read, so the stream may drop what lies behind it.
            // ignoreMetadata: we write no metadata, so hostile ancillary chunks are skipped, not parsed
            // (transparency and JPEG colour transforms are still honoured).
            reader.setInput(iis, true, true);

            int width;
            int height;
            try {
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                throw reject(source, RejectReason.CORRUPT,
                        "cannot read the " + format + " header: " + detail(e), e);
            }
            checkDimensions(width, height, maxPixels, source);

            BufferedImage decoded;
            try {
                decoded = reader.read(0);
            } catch (IOException | RuntimeException e) {
                // Hostile input makes decoders throw all sorts (IIOException, EOFException, IndexOutOfBounds...).
                // Errors (OutOfMemoryError) are not caught: the dimension check keeps allocations bounded.
                throw reject(source, RejectReason.CORRUPT, "the " + format + " data is corrupt: " + detail(e), e);
            }
            if (!warnings.isEmpty()) {
                throw reject(source, RejectReason.CORRUPT,
                        "the " + format + " data is corrupt: " + clip(warnings.get(0)), null);
            }
            if (decoded == null) {
                throw reject(source, RejectReason.CORRUPT, "the " + format + " file holds no image", null);
            }
            // Defensive: some readers report header sizes that differ from what they allocate.
            checkDimensions(decoded.getWidth(), decoded.getHeight(), maxPixels, source);
            if (isCmyk(decoded)) {
                throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT,
                        "CMYK/YCCK " + format.toUpperCase(Locale.ROOT)
                                + " images are not supported yet; please save the image as RGB");
            }
            BufferedImage bgr = decoded.getType() == BufferedImage.TYPE_3BYTE_BGR ? decoded : toBgr(decoded);
            return new DecodedImage(bgr, format, bgr.getWidth(), bgr.getHeight());
        } finally {
            reader.dispose();
        }
    }

    /** Up to {@link ImageFormat#MIN_SNIFF_BYTES} first bytes; the stream is left at its start. */
    private static byte[] readHead(ImageInputStream iis) throws IOException {
        byte[] head = new byte[ImageFormat.MIN_SNIFF_BYTES];
        iis.mark();
        int n = 0;
        while (n < head.length) {
            int r = iis.read(head, n, head.length - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        iis.reset();
        return n == head.length ? head : Arrays.copyOf(head, n);
    }

    private static ImageReader findReader(ImageInputStream iis, SourceTrackingInputStream source, byte[] head)
            throws ImageRejectedException, IOException {
        String otherFormat = null;
        Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
        while (readers.hasNext()) {
            ImageReader candidate = readers.next();
            String name = candidate.getFormatName().toLowerCase(Locale.ROOT);
            if (SUPPORTED_FORMATS.contains(name)) {
                return candidate;
            }
            otherFormat = name;
            candidate.dispose();
        }
        // ImageIO swallows IOExceptions while probing readers: a dead source must not look like junk bytes.
        Optional<String> sniffed = ImageFormat.sniff(head).map(format -> format.name().toLowerCase(Locale.ROOT));
        String named = sniffed.orElse(otherFormat);
        String message = named == null
                ? "the file is not a recognised image; " + SUPPORTED_HINT
                : named.toUpperCase(Locale.ROOT) + " images are not supported; " + SUPPORTED_HINT;
        throw reject(source, RejectReason.UNSUPPORTED_FORMAT, message, null);
    }

    private static void checkDimensions(int width, int height, long maxPixels, SourceTrackingInputStream source)
            throws ImageRejectedException, IOException {
        if (width <= 0 || height <= 0) {
            throw reject(source, RejectReason.CORRUPT,
                    "the image header has invalid dimensions " + width + "x" + height, null);
        }
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageRejectedException(RejectReason.TOO_MANY_PIXELS, "image is " + width + "x" + height
                    + " = " + describePixels(pixels) + ", over the limit of " + describePixels(maxPixels));
        }
    }

    /** "4294.8 MP" from one megapixel up (truncated to 0.1 MP, ".0" dropped), else "1024 pixels". */
    static String describePixels(long pixels) {
        if (pixels < 1_000_000) {
            return pixels + " pixels";
        }
        long tenths = pixels / 100_000;
        return tenths % 10 == 0 ? (tenths / 10) + " MP" : (tenths / 10) + "." + (tenths % 10) + " MP";
    }

    /** A 4-band image without alpha can only be CMYK here; we have no colour-managed conversion for it yet. */
    private static boolean isCmyk(BufferedImage img) {
        return img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK
                || (img.getRaster().getNumBands() == 4 && !img.getColorModel().hasAlpha());
    }

    private static BufferedImage toBgr(BufferedImage decoded) throws ImageRejectedException {
        try {
            return BgrImages.toBgr(decoded);
        } catch (RuntimeException e) {
            throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT,
                    "unsupported pixel layout: " + detail(e), e);
        }
    }

    /** Builds the rejection, unless the caller's stream failed: then that failure is the real (transient) cause. */
    private static ImageRejectedException reject(SourceTrackingInputStream source, RejectReason reason,
            String message, Throwable cause) throws IOException {
        if (source.failure() != null) {
            throw source.failure();
        }
        return new ImageRejectedException(reason, message, cause);
    }

    private static String detail(Throwable e) {
        String msg = e.getMessage();
        return clip(msg == null || msg.isBlank() ? e.getClass().getSimpleName() : msg);
    }

    private static String clip(String s) {
        String oneLine = s.replaceAll("\\s+", " ").trim();
        return oneLine.length() <= MAX_DETAIL_CHARS ? oneLine : oneLine.substring(0, MAX_DETAIL_CHARS) + "...";
    }
}
