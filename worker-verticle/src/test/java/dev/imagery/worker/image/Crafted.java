package dev.imagery.worker.image;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Hostile files built byte by byte in the tests (no corpus ships a PNG or JPEG flood under the JDK's cap). */
final class Crafted {

    private Crafted() {
    }

    /**
     * A structurally valid PNG (every CRC right) whose IHDR claims {@code width x height} RGB, followed by
     * {@code paddingBytes} of incompressible IDAT data that a decoder would have to read.
     */
    static byte[] png(int width, int height, int paddingBytes) {
        return png(width, height, 8, 2, paddingBytes);
    }

    /** {@link #png(int, int, int)} with this IHDR bit depth and colour type (2 RGB, 6 RGBA, 0 gray, 3 palette). */
    static byte[] png(int width, int height, int bitDepth, int colourType, int paddingBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, width);
        putInt(ihdr, 4, height);
        ihdr[8] = (byte) bitDepth;
        ihdr[9] = (byte) colourType;
        chunk(out, "IHDR", ihdr);
        // A tiny, valid zlib stream (one filter byte and a pixel), then random bytes in further IDAT chunks.
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[4]);
        deflater.finish();
        byte[] z = new byte[64];
        int n = deflater.deflate(z);
        deflater.end();
        chunk(out, "IDAT", java.util.Arrays.copyOf(z, n));
        Random random = new Random(7);
        for (int left = paddingBytes; left > 0; left -= 65536) {
            byte[] data = new byte[Math.min(left, 65536)];
            random.nextBytes(data);
            chunk(out, "IDAT", data);
        }
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] len = new byte[4];
        putInt(len, 0, data.length);
        out.writeBytes(len);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        byte[] c = new byte[4];
        putInt(c, 0, (int) crc.getValue());
        out.writeBytes(c);
    }

    /**
     * A baseline JPEG header (DQT, SOF0, DHT, SOS) claiming {@code width x height}, one gray component, then
     * {@code scanBytes} of entropy-coded junk and EOI. {@code precision} is the SOF's sample precision.
     */
    static byte[] jpeg(int width, int height, int precision, int scanBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD8});
        byte[] dqt = new byte[65];
        java.util.Arrays.fill(dqt, 1, 65, (byte) 1);
        segment(out, 0xDB, dqt);
        segment(out, 0xC0, new byte[] {(byte) precision, (byte) (height >> 8), (byte) height, (byte) (width >> 8),
            (byte) width, 1, 1, 0x11, 0});
        // DC table 0 and AC table 0, each with a single one-bit code for symbol 0.
        byte[] dht = new byte[2 * (1 + 16 + 1)];
        dht[0] = 0x00;
        dht[1] = 1;
        dht[17] = 0;
        dht[18] = 0x10;
        dht[19] = 1;
        dht[35] = 0;
        segment(out, 0xC4, dht);
        segment(out, 0xDA, new byte[] {1, 1, 0x00, 0, 63, 0});
        Random random = new Random(11);
        for (int i = 0; i < scanBytes; i++) {
            int b = random.nextInt(255); // never 0xFF: no markers inside the scan
            out.write(b);
        }
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD9});
        return out.toByteArray();
    }

    static void segment(ByteArrayOutputStream out, int marker, byte[] payload) {
        out.write(0xFF);
        out.write(marker);
        out.write((payload.length + 2) >> 8);
        out.write(payload.length + 2);
        out.writeBytes(payload);
    }

    /**
     * A GIF89a whose logical screen is {@code screenW x screenH} and whose first frame is {@code frameW x frameH}
     * at ({@code left}, {@code top}), with a two-colour global table and a little LZW data.
     */
    static byte[] gif(int screenW, int screenH, int left, int top, int frameW, int frameH) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("GIF89a".getBytes(StandardCharsets.US_ASCII));
        le16(out, screenW);
        le16(out, screenH);
        out.write(0x80); // global colour table, 2 entries
        out.write(0);
        out.write(0);
        out.writeBytes(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
        out.write(0x2C);
        le16(out, left);
        le16(out, top);
        le16(out, frameW);
        le16(out, frameH);
        out.write(0); // no local table, not interlaced
        out.write(2); // LZW minimum code size
        out.writeBytes(new byte[] {2, 0x44, 0x01, 0}); // clear, a pixel, end
        out.write(0x3B);
        return out.toByteArray();
    }

    /** Inserts {@code segments} (complete, with marker and length) right after a JPEG's SOI. */
    static byte[] withSegmentsAfterSoi(byte[] jpeg, byte[]... segments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        for (byte[] s : segments) {
            out.writeBytes(s);
        }
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    static byte[] segmentBytes(int marker, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        segment(out, marker, payload);
        return out.toByteArray();
    }

    /** An Exif APP1 segment (with marker) whose IFD0 holds only Orientation, in the given byte order. */
    static byte[] exifApp1(int orientation, boolean littleEndian) {
        byte[] tiff = exifTiff(orientation, littleEndian);
        byte[] payload = new byte[6 + tiff.length];
        System.arraycopy("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), 0, payload, 0, 6);
        System.arraycopy(tiff, 0, payload, 6, tiff.length);
        return segmentBytes(0xE1, payload);
    }

    /** TIFF header + IFD0 with one entry: Orientation (SHORT, count 1). */
    static byte[] exifTiff(int orientation, boolean le) {
        byte[] t = new byte[8 + 2 + 12 + 4];
        t[0] = t[1] = (byte) (le ? 'I' : 'M');
        put16(t, 2, 42, le);
        put32(t, 4, 8, le);
        put16(t, 8, 1, le);
        put16(t, 10, 0x0112, le);
        put16(t, 12, 3, le);
        put32(t, 14, 1, le);
        put16(t, 18, orientation, le);
        return t;
    }

    static void put16(byte[] b, int off, int v, boolean le) {
        b[off + (le ? 0 : 1)] = (byte) v;
        b[off + (le ? 1 : 0)] = (byte) (v >> 8);
    }

    static void put32(byte[] b, int off, int v, boolean le) {
        put16(b, off + (le ? 0 : 2), v & 0xFFFF, le);
        put16(b, off + (le ? 2 : 0), v >>> 16, le);
    }

    private static void le16(ByteArrayOutputStream out, int v) {
        out.write(v & 0xFF);
        out.write((v >> 8) & 0xFF);
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    /** Counts the bytes a decoder pulled from the source. */
    static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += Math.max(0, s);
            return s;
        }
    }
}
