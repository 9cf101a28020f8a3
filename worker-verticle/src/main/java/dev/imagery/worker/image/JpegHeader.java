package dev.imagery.worker.image;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.imageio.stream.ImageInputStream;

/**
 * What the marker segments of a JPEG say before its first scan: the frame (SOFn) and the EXIF Orientation.
 *
 * <p>Read by hand from the bytes, before any decoder sees them, so that a pixel flood is refused from its SOF
 * (even under the JDK's own 65500 cap) and so that the orientation needs no metadata library. The scan is
 * lenient: a malformed or truncated header yields what was found so far and leaves the verdict to the decoder;
 * malformed EXIF yields {@link ExifOrientation#NORMAL}.
 *
 * @param frameMarker the SOFn marker (0xC0..0xCF without C4, C8, CC), or 0 when no frame header was found
 * @param precision   bits per sample of the frame (8 for every JPEG a browser shows; 12 and 16 exist)
 * @param width       samples per line
 * @param height      number of lines (0 means "defined later by a DNL marker", which no decoder here supports)
 * @param components  colour components of the frame: 1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK
 * @param orientation EXIF Orientation 1..8 of the first Exif APP1 segment, 1 if none or unreadable
 * @param wideQuantTables    some DQT table has 16-bit entries (legal, used by low-quality encodes and SOF1)
 * @param wideQuantOverflow  some 16-bit DQT entry is over 255, so it cannot be narrowed to 8 bits losslessly
 */
record JpegHeader(int frameMarker, int precision, int width, int height, int components, int orientation,
        boolean wideQuantTables, boolean wideQuantOverflow) {

    /** An EXIF APP1 segment is at most 64 KiB; the TIFF structure we read sits in its first bytes anyway. */
    private static final int MAX_EXIF_BYTES = 65_533;
    private static final byte[] EXIF_ID = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);

    static final JpegHeader NONE = new JpegHeader(0, 0, 0, 0, 0, ExifOrientation.NORMAL, false, false);

    boolean hasFrame() {
        return frameMarker != 0;
    }

    /** SOF3, SOF7, SOF11, SOF15: lossless coding, where precisions other than 8 bits are legal. */
    boolean lossless() {
        return (frameMarker & 0x03) == 0x03;
    }

    /**
     * Reads marker segments from the current position (which must be the file's start) up to the first SOS or
     * EOI, and puts the stream back where it was.
     *
     * @throws IOException only if the stream fails other than by ending; the end of the data stops the scan
     */
    static JpegHeader scan(ImageInputStream iis) throws IOException {
        iis.mark();
        Builder b = new Builder();
        try {
            scan(iis, b);
        } catch (EOFException truncated) {
            // What we have is all there is; the decoder will say the file is truncated.
        } finally {
            iis.reset();
        }
        return b.build();
    }

    private static void scan(ImageInputStream iis, Builder b) throws IOException {
        if (iis.read() != 0xFF || iis.read() != 0xD8) {
            return; // not a JPEG (no SOI)
        }
        while (true) {
            int marker = nextMarker(iis);
            if (marker < 0 || marker == 0xDA || marker == 0xD9) {
                return; // end of data, start of scan, or end of image
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
            } else if (marker == 0xDB && payload > 0) {
                byte[] tables = new byte[payload];
                iis.readFully(tables);
                readQuantTables(tables, b);
            } else if (marker == 0xE1 && !b.exifSeen && payload > EXIF_ID.length) {
                byte[] segment = new byte[Math.min(payload, MAX_EXIF_BYTES)];
                iis.readFully(segment);
                if (Arrays.equals(segment, 0, EXIF_ID.length, EXIF_ID, 0, EXIF_ID.length)) {
                    b.exifSeen = true; // only the first Exif segment counts, as in every viewer
                    b.orientation = ExifOrientation.parse(segment, EXIF_ID.length);
                }
            }
            // Seeking only moves the position: the bytes are read (and cached for the decoder) when next needed.
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

    /** The next marker code after 0xFF (fill bytes skipped), or -1 at the end; stray bytes are skipped like libjpeg. */
    private static int nextMarker(ImageInputStream iis) throws IOException {
        while (true) {
            int c = iis.read();
            if (c < 0) {
                return -1;
            }
            if (c != 0xFF) {
                continue;
            }
            do {
                c = iis.read();
            } while (c == 0xFF);
            if (c != 0x00) {
                return c; // -1 at the end; a stuffed 0xFF00 is data, not a marker (only in corrupt headers)
            }
        }
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

        boolean hasFrame() {
            return frameMarker != 0;
        }

        JpegHeader build() {
            return new JpegHeader(frameMarker, precision, width, height, components, orientation, wideQuantTables,
                    wideQuantOverflow);
        }
    }
}
