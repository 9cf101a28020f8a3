package dev.imagery.worker.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.WritableRaster;

/**
 * The EXIF Orientation tag (0x0112): how the stored pixels must be turned to show the picture upright.
 *
 * <pre>
 * 1 as stored            5 transpose (mirror along the main diagonal)
 * 2 mirror left-right    6 rotate 90 degrees clockwise
 * 3 rotate 180           7 transverse (mirror along the other diagonal)
 * 4 mirror top-bottom    8 rotate 90 degrees counter-clockwise
 * </pre>
 *
 * Values 5-8 swap width and height. The result image has no orientation: it is written upright with no EXIF.
 */
final class ExifOrientation {

    static final int NORMAL = 1;
    private static final int TAG_ORIENTATION = 0x0112;
    private static final int TYPE_SHORT = 3;
    private static final int TYPE_LONG = 4;

    private ExifOrientation() {
    }

    /**
     * The Orientation of IFD0 of a TIFF structure (the part of an Exif APP1 segment after "Exif\0\0"), or
     * {@link #NORMAL} when there is none or anything about it is malformed: bad byte order, offsets outside the
     * segment, a wrong type or count, a value outside 1..8. Corrupt EXIF must never fail an image.
     *
     * @param segment bytes holding the TIFF structure from {@code tiffStart} on (possibly cut short)
     */
    static int parse(byte[] segment, int tiffStart) {
        int n = segment.length - tiffStart;
        if (n < 8) {
            return NORMAL;
        }
        boolean little;
        if (segment[tiffStart] == 'I' && segment[tiffStart + 1] == 'I') {
            little = true;
        } else if (segment[tiffStart] == 'M' && segment[tiffStart + 1] == 'M') {
            little = false;
        } else {
            return NORMAL;
        }
        Tiff tiff = new Tiff(segment, tiffStart, n, little);
        if (tiff.u16(2) != 42) {
            return NORMAL;
        }
        long ifd = tiff.u32(4);
        if (ifd < 8 || ifd + 2 > n) {
            return NORMAL;
        }
        int entries = tiff.u16((int) ifd);
        for (int i = 0; i < entries; i++) {
            long entry = ifd + 2 + 12L * i;
            if (entry + 12 > n) {
                return NORMAL; // the directory runs off the segment
            }
            int at = (int) entry;
            if (tiff.u16(at) != TAG_ORIENTATION) {
                continue;
            }
            int type = tiff.u16(at + 2);
            long count = tiff.u32(at + 4);
            long value;
            if (type == TYPE_SHORT && count == 1) {
                value = tiff.u16(at + 8); // left-justified in the value field
            } else if (type == TYPE_LONG && count == 1) {
                value = tiff.u32(at + 8); // not what the standard says, but unambiguous
            } else {
                return NORMAL;
            }
            return value >= 1 && value <= 8 ? (int) value : NORMAL;
        }
        return NORMAL;
    }

    /** Width of the upright image. */
    static int uprightWidth(int orientation, int storedWidth, int storedHeight) {
        return swapsAxes(orientation) ? storedHeight : storedWidth;
    }

    /** Height of the upright image. */
    static int uprightHeight(int orientation, int storedWidth, int storedHeight) {
        return swapsAxes(orientation) ? storedWidth : storedHeight;
    }

    static boolean swapsAxes(int orientation) {
        return orientation >= 5 && orientation <= 8;
    }

    /**
     * The upright version of an image of either {@link PixelLayout}: {@code src} itself for orientation 1 (or any
     * invalid value), else a new image of the same layout. A plain byte copy, about 30 ms for 13 MP.
     */
    static BufferedImage apply(BufferedImage src, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return src;
        }
        PixelLayout layout = PixelLayout.of(src);
        if (layout == null) {
            throw new IllegalArgumentException("orientation needs TYPE_3BYTE_BGR (or its RGB twin), got type "
                    + src.getType());
        }
        int w = src.getWidth();
        int h = src.getHeight();
        int ow = uprightWidth(orientation, w, h);
        int oh = uprightHeight(orientation, w, h);
        BufferedImage out = layout.create(ow, oh);
        byte[] dst = PixelLayout.data(out); // fresh: offset 0, stride 3*ow

        WritableRaster raster = src.getRaster();
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        byte[] data = ((DataBufferByte) raster.getDataBuffer()).getData();
        int ps = sm.getPixelStride(); // 3, and the same byte order in and out: pixels are copied as they are
        int ss = sm.getScanlineStride();
        int base = raster.getDataBuffer().getOffset()
                + (raster.getMinY() - raster.getSampleModelTranslateY()) * ss
                + (raster.getMinX() - raster.getSampleModelTranslateX()) * ps;

        int d = 0;
        for (int y = 0; y < oh; y++) {
            // Source coordinates of the output pixel (0, y) and the step per output x, as source offsets.
            int sx;
            int sy;
            int step;
            switch (orientation) {
                case 2 -> { sx = w - 1; sy = y; step = -ps; }
                case 3 -> { sx = w - 1; sy = h - 1 - y; step = -ps; }
                case 4 -> { sx = 0; sy = h - 1 - y; step = ps; }
                case 5 -> { sx = y; sy = 0; step = ss; }
                case 6 -> { sx = y; sy = h - 1; step = -ss; }
                case 7 -> { sx = w - 1 - y; sy = h - 1; step = -ss; }
                default -> { sx = w - 1 - y; sy = 0; step = ss; } // 8
            }
            int s = base + sy * ss + sx * ps;
            for (int x = 0; x < ow; x++, s += step) {
                dst[d++] = data[s];
                dst[d++] = data[s + 1];
                dst[d++] = data[s + 2];
            }
        }
        return out;
    }

    /** Bounds-checked reads of a TIFF structure; callers check offsets against its length first. */
    private record Tiff(byte[] bytes, int start, int length, boolean little) {
        int u8(int offset) {
            return bytes[start + offset] & 0xFF;
        }

        int u16(int offset) {
            if (offset < 0 || offset + 2 > length) {
                return -1;
            }
            return little ? u8(offset) | u8(offset + 1) << 8 : u8(offset) << 8 | u8(offset + 1);
        }

        long u32(int offset) {
            if (offset < 0 || offset + 4 > length) {
                return -1;
            }
            long hi = little ? u16(offset + 2) : u16(offset);
            long lo = little ? u16(offset) : u16(offset + 2);
            return hi << 16 | lo;
        }
    }
}
