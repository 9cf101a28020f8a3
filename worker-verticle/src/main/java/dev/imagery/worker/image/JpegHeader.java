package dev.imagery.worker.image;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.imageio.stream.ImageInputStream;

/**
 * What the marker segments of a JPEG say: the frame (SOFn), the EXIF Orientation and the number of scans.
 *
 * <p>Read by hand from the bytes, before any decoder sees them, so that a pixel flood is refused from its SOF
 * (even under the JDK's own 65500 cap) and so that the orientation needs no metadata library. The scan is
 * lenient: a malformed or truncated header yields what was found so far and leaves the verdict to the decoder;
 * malformed EXIF yields {@link ExifOrientation#NORMAL}.
 *
 * <p><b>Scans.</b> The walk goes on past the first SOS, skipping entropy-coded data, to count the scans (SOS
 * markers) up to EOI: a progressive JPEG of a few MB with thousands of scans makes libjpeg walk every block once
 * per scan, minutes of CPU, and the count is what lets the decoder refuse it first. Walking to EOI caches the
 * whole compressed file in the {@link javax.imageio.stream.MemoryCacheImageInputStream} before a reader runs;
 * that costs no memory the decode would not cost anyway, because neither JPEG reader here flushes that cache
 * while it reads (measured: flushed position 0 after a full read). The walk stops as soon as the count passes
 * the caller's limit, so a scan bomb is cached only up to its first scans over the limit.
 *
 * @param frameMarker the SOFn marker (0xC0..0xCF without C4, C8, CC), or 0 when no frame header was found
 * @param precision   bits per sample of the frame (8 for every JPEG a browser shows; 12 and 16 exist)
 * @param width       samples per line
 * @param height      number of lines (0 means "defined later by a DNL marker", which no decoder here supports)
 * @param components  colour components of the frame: 1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK
 * @param orientation EXIF Orientation 1..8 of the first Exif APP1 segment, 1 if none or unreadable
 * @param wideQuantTables    some DQT table has 16-bit entries (legal, used by low-quality encodes and SOF1)
 * @param wideQuantOverflow  some 16-bit DQT entry is over 255, so it cannot be narrowed to 8 bits losslessly
 * @param scans       SOS markers seen before EOI (or the end of the data); at most the scan limit + 1, because the
 *                    walk stops there
 * @param colour      what decides the colour space before the first scan: JFIF, Adobe and ICC segments, and the
 *                    frame's component ids
 * @param end         stream offset just past EOI, or of the end of the data or of where the walk stopped
 */
record JpegHeader(int frameMarker, int precision, int width, int height, int components, int orientation,
        boolean wideQuantTables, boolean wideQuantOverflow, int scans, Colour colour, long end) {

    /**
     * The segments and ids that decoders read a JPEG's colour space from (libjpeg, the JDK's reader and
     * TwelveMonkeys' each have their own rules for the unusual cases).
     *
     * @param jfif         a JFIF APP0 segment: the components are YCbCr (or gray)
     * @param adobe        an Adobe APP14 segment (its transform flag says RGB, YCbCr or YCCK)
     * @param icc          an ICC_PROFILE APP2 segment, which TwelveMonkeys converts from unless it is sRGB
     * @param standardIds  the frame's component ids are 1 (gray) or 1, 2, 3 (YCbCr): the JFIF convention
     */
    record Colour(boolean jfif, boolean adobe, boolean icc, boolean standardIds) {
        static final Colour NONE = new Colour(false, false, false, false);
    }

    /** An EXIF APP1 segment is at most 64 KiB; the TIFF structure we read sits in its first bytes anyway. */
    private static final int MAX_EXIF_BYTES = 65_533;
    private static final byte[] EXIF_ID = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);

    /** Bytes read at a time while skipping entropy-coded data, where only 0xFF bytes matter. */
    private static final int SKIP_CHUNK = 8192;

    static final JpegHeader NONE = new JpegHeader(0, 0, 0, 0, 0, ExifOrientation.NORMAL, false, false, 0,
            Colour.NONE, 0);
    private static final byte[] JFIF_ID = "JFIF\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] ADOBE_ID = "Adobe".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] ICC_ID = "ICC_PROFILE\0".getBytes(StandardCharsets.ISO_8859_1);

    boolean hasFrame() {
        return frameMarker != 0;
    }

    /** SOF3, SOF7, SOF11, SOF15: lossless coding, where precisions other than 8 bits are legal. */
    boolean lossless() {
        return (frameMarker & 0x03) == 0x03;
    }

    /** SOF2, SOF6, SOF10, SOF14: progressive coding (many scans are normal there, up to a dozen or so). */
    boolean progressive() {
        return (frameMarker & 0x03) == 0x02;
    }

    /** {@link #scan(ImageInputStream, int, long)} with no limits: walks to EOI. */
    static JpegHeader scan(ImageInputStream iis) throws IOException {
        return scan(iis, Integer.MAX_VALUE - 1, Long.MAX_VALUE);
    }

    /**
     * Reads marker segments from the current position (which must be the file's start) up to EOI, counting the
     * scans and skipping their entropy-coded data, and puts the stream back where it was. Stops early once more
     * than {@code maxScans} scans were seen: the count is then {@code maxScans + 1}. Stops at the first SOS when
     * the frame will be refused anyway (over {@code maxPixels}, no height, or no frame at all): the verdict needs
     * no more bytes, and a pixel flood is then refused after reading its header only.
     *
     * @throws IOException only if the stream fails other than by ending; the end of the data stops the scan
     */
    static JpegHeader scan(ImageInputStream iis, int maxScans, long maxPixels) throws IOException {
        if (maxScans < 0 || maxScans == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maxScans must be within 0..2^31-2: " + maxScans);
        }
        iis.mark();
        Builder b = new Builder();
        long start = iis.getStreamPosition();
        try {
            scan(iis, b, maxScans, maxPixels);
        } catch (EOFException truncated) {
            // What we have is all there is; the decoder will say the file is truncated.
        } finally {
            b.end = iis.getStreamPosition() - start;
            iis.reset();
        }
        return b.build();
    }

    private static void scan(ImageInputStream iis, Builder b, int maxScans, long maxPixels) throws IOException {
        if (iis.read() != 0xFF || iis.read() != 0xD8) {
            return; // not a JPEG (no SOI)
        }
        byte[] chunk = new byte[SKIP_CHUNK];
        while (true) {
            // Before the first scan the next marker is (nearly always) the next byte: read no more than needed.
            int marker = nextMarker(iis, b.scans > 0 ? chunk : null);
            if (marker < 0 || marker == 0xD9) {
                return; // end of data, or end of image (what follows EOI, e.g. an MPO's second image, is not ours)
            }
            if (marker == 0xDA) {
                b.scans++;
                if (b.scans > maxScans || (b.scans == 1 && refusedAnyway(b, maxPixels))) {
                    return; // the rest does not change the verdict
                }
            }
            if ((marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
                continue; // standalone markers carry no length
            }
            int length = iis.readUnsignedShort();
            if (length < 2) {
                return; // corrupt segment length: the decoder will report it
            }
            int payload = length - 2;
            long next = iis.getStreamPosition() + payload;
            if (isFrameMarker(marker) && !b.hasFrame() && payload >= 6) {
                b.frameMarker = marker;
                b.precision = iis.readUnsignedByte();
                b.height = iis.readUnsignedShort();
                b.width = iis.readUnsignedShort();
                b.components = iis.readUnsignedByte();
                b.standardIds = b.components <= 3 && payload >= 6 + 3 * b.components;
                for (int i = 0; i < b.components && b.standardIds; i++) {
                    b.standardIds = iis.readUnsignedByte() == i + 1; // then sampling factors and table: skipped
                    iis.skipBytes(2);
                }
            } else if ((marker == 0xE0 || marker == 0xE2 || marker == 0xEE) && b.scans == 0) {
                byte[] id = new byte[Math.min(payload, ICC_ID.length)];
                iis.readFully(id);
                b.jfif |= marker == 0xE0 && startsWith(id, JFIF_ID);
                b.icc |= marker == 0xE2 && startsWith(id, ICC_ID);
                b.adobe |= marker == 0xEE && startsWith(id, ADOBE_ID);
            } else if (marker == 0xDB && payload > 0) {
                byte[] tables = new byte[payload];
                iis.readFully(tables);
                readQuantTables(tables, b);
            } else if (marker == 0xE1 && !b.exifSeen && b.scans == 0 && payload > EXIF_ID.length) {
                byte[] segment = new byte[Math.min(payload, MAX_EXIF_BYTES)];
                iis.readFully(segment);
                if (Arrays.equals(segment, 0, EXIF_ID.length, EXIF_ID, 0, EXIF_ID.length)) {
                    b.exifSeen = true; // only the first Exif segment counts, as in every viewer
                    b.orientation = ExifOrientation.parse(segment, EXIF_ID.length);
                }
            }
            // Seeking only moves the position: the bytes are read (and cached for the decoder) when next needed.
            // After an SOS header, what follows is entropy-coded data, which nextMarker skips.
            iis.seek(next);
        }
    }

    /** Precision and values of the quantisation tables of one DQT segment (a malformed tail is left to libjpeg). */
    private static void readQuantTables(byte[] dqt, Builder b) {
        int i = 0;
        while (i < dqt.length) {
            boolean wide = (dqt[i] & 0xF0) != 0;
            i++;
            int size = wide ? 128 : 64;
            if (i + size > dqt.length) {
                return;
            }
            if (wide) {
                b.wideQuantTables = true;
                for (int k = 0; k < 64; k++) {
                    if (dqt[i + 2 * k] != 0) { // high byte of a big-endian 16-bit entry
                        b.wideQuantOverflow = true;
                    }
                }
            }
            i += size;
        }
    }

    /**
     * The next marker code after 0xFF (fill bytes skipped), or -1 at the end. Everything else is skipped: stray
     * bytes between segments (as libjpeg does) and entropy-coded data, where 0xFF00 is a stuffed data byte (RST0-7
     * come back as markers, and the caller skips them). The bytes up to the next 0xFF are skipped a chunk at a
     * time when {@code chunk} is given (inside scans), because entropy-coded data is nearly all of a JPEG and a
     * byte-wise read of 50 MB costs ~0.5 s; byte by byte otherwise (between the segments of the header).
     */
    private static int nextMarker(ImageInputStream iis, byte[] chunk) throws IOException {
        while (true) {
            if (chunk == null) {
                int c = iis.read();
                if (c < 0) {
                    return -1;
                }
                if (c != 0xFF) {
                    continue;
                }
            } else {
                long start = iis.getStreamPosition();
                int n = iis.read(chunk, 0, chunk.length);
                if (n < 0) {
                    return -1;
                }
                int ff = indexOfFf(chunk, n);
                if (ff < 0) {
                    continue;
                }
                iis.seek(start + ff + 1); // just past the 0xFF: a backward seek within what is already cached
            }
            int c;
            do {
                c = iis.read();
            } while (c == 0xFF);
            if (c != 0x00) {
                return c; // -1 at the end
            }
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static int indexOfFf(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] == (byte) 0xFF) {
                return i;
            }
        }
        return -1;
    }

    private static boolean refusedAnyway(Builder b, long maxPixels) {
        return !b.hasFrame() || b.height == 0 || b.width == 0 || (long) b.width * b.height > maxPixels;
    }

    private static boolean isFrameMarker(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static final class Builder {
        int frameMarker;
        int precision;
        int width;
        int height;
        int components;
        int orientation = ExifOrientation.NORMAL;
        boolean exifSeen;
        boolean wideQuantTables;
        boolean wideQuantOverflow;
        int scans;
        boolean jfif;
        boolean adobe;
        boolean icc;
        boolean standardIds;
        long end;

        boolean hasFrame() {
            return frameMarker != 0;
        }

        JpegHeader build() {
            return new JpegHeader(frameMarker, precision, width, height, components, orientation, wideQuantTables,
                    wideQuantOverflow, scans, new Colour(jfif, adobe, icc, standardIds), end);
        }
    }
}
