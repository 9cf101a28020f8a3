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
import java.util.regex.Pattern;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the first frame of an untrusted upload into either {@link PixelLayout} (TYPE_3BYTE_BGR or its R, G, B
 * twin), or says why it never can be.
 *
 * <p>Defences, in order: the format is chosen from the bytes (never from a name or Content-Type) and limited to
 * {@link #SUPPORTED_FORMATS}; the dimensions are read from the header and checked against the pixel limit before
 * any pixel memory is allocated (decompression bombs; for JPEG from our own reading of the SOF segment, so even
 * sizes under the JDK's 65500 cap are refused before a decoder runs); a PNG's chunk structure and CRCs are
 * checked as its bytes pass ({@link PngChunkValidator}), which the JDK's reader does not do; any decoder warning
 * or exception rejects the image, because the JDK otherwise returns truncated JPEGs as silently grey-filled
 * images. Failures of the caller's stream are rethrown as IOException (retry), never reported as a corrupt image.
 *
 * <p><b>Cost limits</b> ({@link DecodeLimits}), also from the header, before the decoder reads pixel data: a JPEG
 * with more scans than the scan limit (counted by {@link JpegHeader}, which walks the marker segments to EOI),
 * because libjpeg walks every block once per scan; and an image whose {@link ImageHeader#estimatedDecodedBytes()}
 * (the decoder's raster, as the chosen reader will lay it out, and the pipeline's copies) is over the byte limit,
 * because pixels alone count a 16-bit RGBA PNG (8 bytes per pixel) like a gray one (1). An image that passes them
 * then waits, if need be, for its estimate to fit in the worker's {@link MemoryBudget} (the pipeline's
 * {@link Admission}), still before any pixel memory is allocated.
 *
 * <p><b>Warnings.</b> A decoder warning rejects the image as {@link RejectReason#CORRUPT}, with one exception:
 * warnings that concern only metadata the pipeline throws away (an invalid or unusable ICC profile, a bogus Adobe
 * APP14 segment, an unreadable thumbnail) are ignored, because the pixels decoded in full and the result carries
 * no metadata. Every warning of libjpeg itself ("Corrupt JPEG data: ...", "Truncated File - Missing EOI marker",
 * "Inconsistent progression sequence ...") is about the compressed pixel data and rejects. EXIF is never seen by
 * a decoder: we read the orientation ourselves, and unreadable EXIF only means "no rotation".
 *
 * <p>TwelveMonkeys also narrows 16-bit quantisation tables to 8 bits (working around a JDK metadata bug) and says
 * so in a warning; that is exact, and tolerated, when every entry fits in 8 bits. A JPEG with larger entries is
 * decoded by the JDK's reader, which handles them natively.
 *
 * <p><b>JPEG reader.</b> TwelveMonkeys' JPEG reader is used when present (it is a dependency): it converts CMYK
 * and YCCK (Adobe APP14, inverted CMYK) to RGB, using the embedded ICC profile when there is one, where the JDK
 * returns raw 4-band CMYK. It delegates the decoding itself to the JDK's libjpeg(-turbo), so it is as fast
 * (measured on a 13.4 MP photo) and passes libjpeg's warnings on. EXIF orientation (1-8) is applied, so the image
 * comes out upright.
 *
 * <p><b>TurboJPEG.</b> With {@link JpegCodec#AUTO} and Debian's libturbojpeg-java installed ({@link TurboJpeg}), the
 * pixels of a JPEG are decoded by TurboJPEG instead of the reader, after every check above has passed on the
 * reader's view of the header: the same libjpeg-turbo, so the same pixels (a test compares them over the
 * corpus), faster (13.4 MP: ~34 against ~41 ms baseline, ~130 against ~530 ms progressive). Only where every
 * reader agrees on the colours: 8-bit Huffman-coded frames (SOF0-2) of 1 component, or of 3 with the ids 1, 2, 3
 * (YCbCr), with no Adobe or ICC segment (which TwelveMonkeys converts from), and at most {@link #TURBO_MAX_SCANS}
 * scans. The compressed file is copied once for it (the stream's cache holds it too). Any libjpeg warning
 * rejects the image, as on the ImageIO path. The one native call cannot be aborted halfway, so an abort takes
 * effect once it returns (~40 ms for 13 MP, ~130 ms progressive); a JPEG with more scans than encoders write
 * (each one another pass over the whole image) stays on the ImageIO path, which an abort stops at its next read.
 *
 * <p>Blocking and CPU-bound: call it from a worker thread. Stateless and thread-safe.
 */
public final class ImageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);

    /** Lower-case ImageIO format names we accept; other readers the JDK has (TIFF, WBMP) are refused. */
    public static final Set<String> SUPPORTED_FORMATS = Set.of("jpeg", "png", "gif", "bmp");

    private static final String SUPPORTED_HINT = "please upload a JPEG, PNG, GIF or BMP image";
    private static final int MAX_DETAIL_CHARS = 160;

    /** Readers preferred over others of the same format, by class name prefix (see the class comment). */
    private static final String TWELVEMONKEYS_PREFIX = "com.twelvemonkeys.imageio.plugins.";

    /** Warnings about metadata we discard anyway (see the class comment); never libjpeg's own "Corrupt JPEG data". */
    private static final Pattern METADATA_ONLY_WARNING = Pattern.compile(
            "ICC|colou?r profile|^Bogus APP\\d+|^Invalid Adobe App14 marker|thumbnail", Pattern.CASE_INSENSITIVE);

    /** Encoders write up to about 10 scans (libjpeg's progressive script: 10); more goes to the abortable path. */
    static final int TURBO_MAX_SCANS = 20;

    private final Optional<TurboJpeg> turbo;

    /** With {@link JpegCodec#AUTO}. */
    public ImageDecoder() {
        this(JpegCodec.AUTO);
    }

    public ImageDecoder(JpegCodec codec) {
        this.turbo = codec.turboJpeg();
    }

    /**
     * {@link #decode(InputStream, DecodeLimits)} with this pixel limit and the default byte and scan limits.
     */
    public DecodedImage decode(InputStream in, long maxPixels) throws ImageRejectedException, IOException {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
        }
        return decode(in, DecodeLimits.ofPixels(maxPixels));
    }

    /**
     * @param in     the raw upload; read as far as the decoder needs, never closed here
     * @param limits what the image may cost, checked from its header
     * @throws ImageRejectedException the image can never be processed (see {@link RejectReason})
     * @throws IOException            {@code in} itself failed: transient, worth a retry
     */
    public DecodedImage decode(InputStream in, DecodeLimits limits) throws ImageRejectedException, IOException {
        return decode(in, limits, new AbortHandle());
    }

    /**
     * {@link #decode(InputStream, DecodeLimits)} that another thread can stop through {@code abort}.
     *
     * @throws PipelineAbortedException {@code abort} was aborted before the decode ended; whatever the decoder
     *                                  made of its cut-off input (an exception, a partial image) is dropped
     */
    public DecodedImage decode(InputStream in, DecodeLimits limits, AbortHandle abort)
            throws ImageRejectedException, IOException {
        return decode(in, limits, abort, Admission.NONE);
    }

    /**
     * Called once an image's header has passed every cost limit, just before its decoder allocates pixel memory:
     * where the pipeline takes the image's share of the worker's {@link MemoryBudget}. It may block; it ends the
     * decode by throwing ({@link PipelineAbortedException} when aborted while waiting).
     */
    @FunctionalInterface
    interface Admission {
        Admission NONE = header -> { };

        void admit(ImageHeader header);
    }

    /** {@link #decode(InputStream, DecodeLimits, AbortHandle)} that asks {@code admission} before decoding pixels. */
    DecodedImage decode(InputStream in, DecodeLimits limits, AbortHandle abort, Admission admission)
            throws ImageRejectedException, IOException {
        abort.check("decoding");
        SourceTrackingInputStream source = new SourceTrackingInputStream(in, abort);
        PngChunkValidator png = new PngChunkValidator(source);
        // Built by hand rather than with ImageIO.createImageInputStream, which caches to temp files unless the
        // global ImageIO.setUseCache(false) is set; closing it does not close the caller's stream.
        ImageInputStream iis = new AbortableImageInputStream(png, abort);
        try {
            return decode(iis, source, png, limits, abort, admission);
        } catch (ImageRejectedException | IOException | RuntimeException e) {
            // An abort makes the decoder fail however it fails on cut-off input: that is not the image's verdict.
            if (abort.aborted() && !(e instanceof PipelineAbortedException)) {
                throw new PipelineAbortedException("decoding", e);
            }
            throw e;
        } finally {
            iis.close();
        }
    }

    /** Fails every read once the handle is aborted: the one abort every reader notices, from any thread. */
    private static final class AbortableImageInputStream extends MemoryCacheImageInputStream {

        private final AbortHandle abort;

        AbortableImageInputStream(InputStream in, AbortHandle abort) {
            super(in);
            this.abort = abort;
        }

        @Override
        public int read() throws IOException {
            checkAbort();
            return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            checkAbort();
            return super.read(b, off, len);
        }

        private void checkAbort() throws IOException {
            if (abort.aborted()) {
                throw new IIOException("decoding aborted");
            }
        }
    }

    private DecodedImage decode(ImageInputStream iis, SourceTrackingInputStream source, PngChunkValidator png,
            DecodeLimits limits, AbortHandle abort, Admission admission) throws ImageRejectedException, IOException {
        long maxPixels = limits.maxPixels();
        byte[] head = readHead(iis);
        if (head.length == 0) {
            throw new ImageRejectedException(RejectReason.EMPTY, "the file is empty");
        }
        JpegHeader jpeg = JpegHeader.NONE;
        if ((head[0] & 0xFF) == 0xFF && head.length > 1 && (head[1] & 0xFF) == 0xD8) {
            jpeg = JpegHeader.scan(iis, limits.maxJpegScans(), maxPixels);
            if (source.failure() != null) {
                throw source.failure();
            }
        }
        // TwelveMonkeys narrows 16-bit quantisation tables to their low byte (working around a JDK metadata bug):
        // exact unless an entry is over 255. The JDK's reader decodes those natively, but it has no CMYK.
        boolean preferTwelveMonkeys = !(jpeg.wideQuantOverflow() && jpeg.components() != 4);
        ImageReader reader = findReader(iis, source, head, preferTwelveMonkeys);
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        try {
            int orientation = ExifOrientation.NORMAL;
            byte[] turboInput = null; // the whole JPEG, when TurboJPEG decodes it
            if (format.equals("jpeg")) {
                checkJpegHeader(jpeg, source, limits);
                orientation = jpeg.orientation();
                if (turbo.isPresent() && turboDecodes(jpeg)) {
                    // Cached by the header walk up to EOI: a copy, before the reader may move on.
                    turboInput = readUpTo(iis, jpeg.end());
                    iis.seek(0);
                }
            }
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
            // seekForwardOnly: only frame 0 is read, so the stream may drop what lies behind it.
            // ignoreMetadata: we write no metadata, so hostile ancillary chunks are skipped, not parsed
            // (transparency and JPEG colour transforms are still honoured).
            reader.setInput(iis, true, true);

            int width;
            int height;
            try {
                // For GIF this is frame 0's own image descriptor, not the logical screen.
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                throw reject(source, png, RejectReason.CORRUPT,
                        "cannot read the " + format + " header: " + detail(e), e);
            }
            checkDimensions(width, height, maxPixels, source);
            if (png.problem() != null) {
                throw reject(source, png, RejectReason.CORRUPT, "the png data is corrupt", null);
            }
            ImageHeader header = header(reader, format, width, height, jpeg, orientation, source, png);
            checkDecodedBytes(header, limits.maxDecodedBytes());
            // The image is acceptable: wait, if need be, until the worker has the memory to decode it.
            admission.admit(header);

            BufferedImage decoded;
            // Only now: readers clear an abort request when read() starts. Before, the stream check stops us.
            abort.attach(reader);
            try {
                decoded = turboInput != null ? turboDecode(turbo.get(), turboInput, width, height)
                        : reader.read(0, readParam(reader, format, header, width, height));
            } catch (IOException | RuntimeException e) {
                // Hostile input makes decoders throw all sorts (IIOException, EOFException, IndexOutOfBounds...).
                // Errors (OutOfMemoryError) are not caught: the dimension check keeps allocations bounded.
                throw reject(source, png, RejectReason.CORRUPT,
                        "the " + format + " data is corrupt: " + detail(e), e);
            }
            // An aborted reader returns what it had decoded so far, without an error.
            abort.check("decoding");
            png.finish(); // check the chunks the reader left unread, up to IEND
            if (png.problem() != null) {
                throw reject(source, png, RejectReason.CORRUPT, "the png data is corrupt", null);
            }
            JpegHeader jpegHeader = jpeg;
            Optional<String> pixelWarning = warnings.stream().filter(w -> !isHarmless(w, jpegHeader)).findFirst();
            if (pixelWarning.isPresent()) {
                throw reject(source, png, RejectReason.CORRUPT,
                        "the " + format + " data is corrupt: " + clip(pixelWarning.get()), null);
            }
            if (decoded == null) {
                throw reject(source, png, RejectReason.CORRUPT, "the " + format + " file holds no image", null);
            }
            // Defensive: some readers report header sizes that differ from what they allocate.
            checkDimensions(decoded.getWidth(), decoded.getHeight(), maxPixels, source);
            if (isCmyk(decoded)) {
                // Only if a reader other than TwelveMonkeys' was used: it converts CMYK/YCCK to RGB itself.
                throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT,
                        "CMYK/YCCK " + format.toUpperCase(Locale.ROOT)
                                + " images are not supported by this installation; please save the image as RGB");
            }
            BufferedImage packed = PixelLayout.of(decoded) != null ? decoded : toBgr(decoded);
            BufferedImage upright = ExifOrientation.apply(packed, orientation);
            return new DecodedImage(upright, format, upright.getWidth(), upright.getHeight());
        } finally {
            abort.detach();
            reader.dispose();
        }
    }

    /**
     * Whether TurboJPEG decodes this JPEG to the pixels the readers would give (see the class comment): every
     * decoder takes ids 1, 2, 3 without Adobe or ICC segments as plain YCbCr, and one component as gray.
     */
    static boolean turboDecodes(JpegHeader jpeg) {
        int marker = jpeg.frameMarker();
        JpegHeader.Colour colour = jpeg.colour();
        return (marker == 0xC0 || marker == 0xC1 || marker == 0xC2) && jpeg.precision() == 8
                && jpeg.scans() <= TURBO_MAX_SCANS
                && (jpeg.components() == 1 || (jpeg.components() == 3 && colour.standardIds()))
                && !colour.adobe() && !colour.icc();
    }

    /** TurboJPEG's decode of {@code jpeg} straight into a TYPE_3BYTE_BGR image (gray is spread to B, G, R). */
    private static BufferedImage turboDecode(TurboJpeg turbo, byte[] jpeg, int width, int height)
            throws IOException {
        byte[] bgr = turbo.decodeBgr(jpeg, width, height);
        return PixelLayout.BGR.wrap(bgr, width, height);
    }

    /**
     * For a JPEG or PNG the reader would decode into TYPE_3BYTE_BGR, a destination in R, G, B order instead: the
     * order libjpeg and PNG produce, which the readers then copy row by row instead of sample by sample
     * ({@link PixelLayout}). Identical pixels; the header's estimate holds (the same 3 bytes per pixel).
     */
    private static ImageReadParam readParam(ImageReader reader, String format, ImageHeader header, int width,
            int height) {
        ImageReadParam param = reader.getDefaultReadParam();
        if (header.rasterIsBgr() && (format.equals("jpeg") || format.equals("png"))) {
            param.setDestination(PixelLayout.RGB.create(width, height));
        }
        return param;
    }

    /**
     * Refuses a JPEG from its own marker segments before any decoder reads it: too many pixels, no size (DNL), a
     * sample precision no reader here decodes (12-bit, 16-bit), or more scans than the limit.
     */
    private static void checkJpegHeader(JpegHeader jpeg, SourceTrackingInputStream source, DecodeLimits limits)
            throws ImageRejectedException, IOException {
        if (jpeg.scans() > limits.maxJpegScans()) {
            // The walk stopped at the first scan over the limit: the file has at least this many.
            throw new ImageRejectedException(RejectReason.TOO_MANY_SCANS, (jpeg.progressive() ? "progressive " : "")
                    + "JPEG with more than " + limits.maxJpegScans() + " scans, over the limit of "
                    + limits.maxJpegScans() + " (each scan is one more pass over the whole image)");
        }
        if (jpeg.hasFrame()) {
            checkDimensions(jpeg.width(), jpeg.height(), limits.maxPixels(), source);
            if (jpeg.precision() != 8 && !jpeg.lossless()) {
                throw new ImageRejectedException(RejectReason.UNSUPPORTED_FORMAT, jpeg.precision()
                        + "-bit JPEG images are not supported; please save the image as an 8-bit JPEG");
            }
        }
    }

    /**
     * What decoding {@code reader}'s first image will cost, from the raster layout it will decode into (its first
     * image type: what {@code read(0)} allocates) and what the JPEG header says about scans, colour and rotation.
     */
    private static ImageHeader header(ImageReader reader, String format, int width, int height, JpegHeader jpeg,
            int orientation, SourceTrackingInputStream source, PngChunkValidator png)
            throws ImageRejectedException, IOException {
        ImageTypeSpecifier type;
        try {
            // For PNG this reads the chunks before IDAT (PLTE and tRNS decide the layout), not the pixel data.
            Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
            type = types.hasNext() ? types.next() : null;
        } catch (IOException | RuntimeException e) {
            throw reject(source, png, RejectReason.CORRUPT, "cannot read the " + format + " header: " + detail(e), e);
        }
        if (type == null) {
            throw reject(source, png, RejectReason.UNSUPPORTED_FORMAT,
                    "unsupported " + format + " pixel layout; " + SUPPORTED_HINT, null);
        }
        long decoderExtra = 0;
        if (format.equals("jpeg")) {
            int components = Math.max(jpeg.components(), 1);
            decoderExtra = ImageHeader.jpegCoefficientBytes(width, height, components, jpeg.scans());
            if (components == 4 && isTwelveMonkeys(reader)) {
                decoderExtra += 4L * width * height; // the CMYK/YCCK raster it converts from
            }
        }
        return ImageHeader.of(format, width, height, type, decoderExtra, orientation >= 2 && orientation <= 8);
    }

    private static void checkDecodedBytes(ImageHeader header, long maxDecodedBytes) throws ImageRejectedException {
        long estimate = header.estimatedDecodedBytes();
        // Debug: the estimate of every image, to compare with the heap an operator sees.
        LOG.debug("{} {}x{}: estimated {} bytes to decode and process", header.format(), header.width(),
                header.height(), estimate);
        if (estimate > maxDecodedBytes) {
            throw new ImageRejectedException(RejectReason.TOO_MANY_BYTES, "image is " + header.width() + "x"
                    + header.height() + " " + header.format().toUpperCase(Locale.ROOT) + " and needs about "
                    + describeBytes(estimate) + " of memory to process, over the limit of "
                    + describeBytes(maxDecodedBytes));
        }
    }

    /** "617 MiB" from one MiB up (truncated), else "1024 bytes". */
    static String describeBytes(long bytes) {
        long mib = bytes / (1024 * 1024);
        return mib == 0 ? bytes + " bytes" : mib + " MiB";
    }

    /** A warning that leaves the pixels intact: metadata only, or TwelveMonkeys' exact narrowing of 16-bit tables. */
    private static boolean isHarmless(String warning, JpegHeader jpeg) {
        if (isMetadataOnly(warning)) {
            return true;
        }
        return warning != null && warning.startsWith("16 bit DQT encountered")
                && jpeg.wideQuantTables() && !jpeg.wideQuantOverflow();
    }

    /**
     * True for a decoder warning that concerns only metadata the pipeline discards (ICC profile, Adobe APP14,
     * thumbnails); every other warning means the pixel data is damaged.
     */
    static boolean isMetadataOnly(String warning) {
        if (warning == null || warning.isBlank()) {
            return false;
        }
        String w = warning.trim();
        return !w.startsWith("Corrupt JPEG data") && METADATA_ONLY_WARNING.matcher(w).find();
    }

    /** The next {@code n} bytes, or fewer if the data ends first (a truncated file: the decoder will say so). */
    private static byte[] readUpTo(ImageInputStream iis, long n) throws IOException {
        byte[] bytes = new byte[Math.toIntExact(n)];
        int read = 0;
        while (read < bytes.length) {
            int r = iis.read(bytes, read, bytes.length - read);
            if (r < 0) {
                return Arrays.copyOf(bytes, read);
            }
            read += r;
        }
        return bytes;
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

    /**
     * The reader for the first supported format ImageIO recognises; among several readers of that format, a
     * TwelveMonkeys one if {@code preferTwelveMonkeys}, else another one (see the class comment). Package-private
     * for tests.
     */
    static ImageReader findReader(ImageInputStream iis, SourceTrackingInputStream source, byte[] head,
            boolean preferTwelveMonkeys) throws ImageRejectedException, IOException {
        String otherFormat = null;
        ImageReader chosen = null;
        String chosenFormat = null;
        Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
        while (readers.hasNext()) {
            ImageReader candidate = readers.next();
            String name = candidate.getFormatName().toLowerCase(Locale.ROOT);
            if (chosen == null && SUPPORTED_FORMATS.contains(name)) {
                chosen = candidate;
                chosenFormat = name;
            } else if (chosen != null && name.equals(chosenFormat)
                    && isTwelveMonkeys(candidate) == preferTwelveMonkeys
                    && isTwelveMonkeys(chosen) != preferTwelveMonkeys) {
                chosen.dispose();
                chosen = candidate;
            } else {
                if (!SUPPORTED_FORMATS.contains(name)) {
                    otherFormat = name;
                }
                candidate.dispose();
            }
        }
        if (chosen != null) {
            return chosen;
        }
        // ImageIO swallows IOExceptions while probing readers: a dead source must not look like junk bytes.
        Optional<String> sniffed = ImageFormat.sniff(head).map(format -> format.name().toLowerCase(Locale.ROOT));
        String named = sniffed.orElse(otherFormat);
        String message = named == null
                ? "the file is not a recognised image; " + SUPPORTED_HINT
                : named.toUpperCase(Locale.ROOT) + " images are not supported; " + SUPPORTED_HINT;
        throw reject(source, null, RejectReason.UNSUPPORTED_FORMAT, message, null);
    }

    static boolean isTwelveMonkeys(ImageReader reader) {
        return reader.getClass().getName().startsWith(TWELVEMONKEYS_PREFIX);
    }

    private static void checkDimensions(int width, int height, long maxPixels, SourceTrackingInputStream source)
            throws ImageRejectedException, IOException {
        if (width <= 0 || height <= 0) {
            throw reject(source, null, RejectReason.CORRUPT,
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

    /** A 4-band image without alpha can only be CMYK here. */
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

    /**
     * Builds the rejection, unless the caller's stream failed: then that failure is the real (transient) cause.
     * A PNG chunk problem, when there is one, is the most precise account of the corruption and is named first.
     */
    private static ImageRejectedException reject(SourceTrackingInputStream source, PngChunkValidator png,
            RejectReason reason, String message, Throwable cause) throws IOException {
        if (source.failure() != null) {
            throw source.failure();
        }
        if (png != null && png.problem() != null && reason == RejectReason.CORRUPT) {
            return new ImageRejectedException(reason, "the png data is corrupt: " + png.problem(), cause);
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
