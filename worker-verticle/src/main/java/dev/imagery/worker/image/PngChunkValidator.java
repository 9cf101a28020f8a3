package dev.imagery.worker.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Checks the chunk structure of a PNG as its bytes pass by: every chunk's CRC, sane lengths and types, IHDR
 * first, and an IEND before the data ends. The JDK's PNG reader checks none of this: it decodes a file with a
 * bad IHDR or IDAT CRC (PngSuite {@code xhdn0g08}, {@code xcsn0g01}, libpng {@code badcrc.png}) and stops
 * reading once its inflater is satisfied, so an IDAT that claims a gigabyte in a 70-byte file
 * ({@code huge_IDAT.png}) goes unnoticed.
 *
 * <p>Problems are recorded, never thrown: the decoder asks {@link #problem()} and decides. Input that does not
 * start with the PNG signature passes through unchecked. Bytes after IEND are not checked. Not thread-safe.
 */
final class PngChunkValidator extends FilterInputStream {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    /** The PNG spec's limit: a chunk length is at most 2^31 - 1. */
    private static final long MAX_CHUNK_LENGTH = 0x7FFF_FFFFL;

    private enum State { SIGNATURE, CHUNK_HEADER, DATA, CRC, DONE, NOT_PNG }

    private State state = State.SIGNATURE;
    private final byte[] field = new byte[8]; // collects the signature, a chunk header or a CRC across reads
    private int fieldFill;
    private long remaining; // data bytes left in the current chunk
    private String chunkType = "";
    private int chunks;
    private final CRC32 crc = new CRC32();
    private final byte[] one = new byte[1];
    private String problem;

    PngChunkValidator(InputStream in) {
        super(in);
    }

    /** The first structural problem seen, written for users; null while the chunks look right. */
    String problem() {
        return problem;
    }

    /** True if the data started with the PNG signature. */
    boolean isPng() {
        return state != State.SIGNATURE && state != State.NOT_PNG;
    }

    /**
     * Reads (and drops) whatever is left up to the end of IEND, so that every chunk gets checked; then
     * {@link #problem()} is final. Reads nothing for input that is not a PNG or already failed.
     *
     * @throws IOException the underlying stream failed
     */
    void finish() throws IOException {
        byte[] skip = new byte[16 * 1024];
        while (state != State.DONE && state != State.NOT_PNG && problem == null) {
            if (read(skip, 0, skip.length) < 0) {
                break;
            }
        }
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
            ended();
        } else {
            one[0] = (byte) b;
            consume(one, 0, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
            ended();
        } else if (n > 0) {
            consume(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes must be checked too: read them instead.
        byte[] scratch = new byte[(int) Math.min(Math.max(n, 0), 8192)];
        int r = read(scratch, 0, scratch.length);
        return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void consume(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end && state != State.DONE && state != State.NOT_PNG && problem == null) {
            switch (state) {
                case SIGNATURE -> {
                    i = fill(b, i, end, 8);
                    if (fieldFill == 8) {
                        fieldFill = 0;
                        state = Arrays.equals(field, SIGNATURE) ? State.CHUNK_HEADER : State.NOT_PNG;
                    }
                }
                case CHUNK_HEADER -> {
                    i = fill(b, i, end, 8);
                    if (fieldFill == 8) {
                        fieldFill = 0;
                        startChunk();
                    }
                }
                case DATA -> {
                    int take = (int) Math.min(remaining, end - i);
                    crc.update(b, i, take);
                    i += take;
                    remaining -= take;
                    if (remaining == 0) {
                        state = State.CRC;
                    }
                }
                case CRC -> {
                    i = fill(b, i, end, 4);
                    if (fieldFill == 4) {
                        fieldFill = 0;
                        endChunk();
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
    }

    private int fill(byte[] b, int i, int end, int size) {
        int take = Math.min(size - fieldFill, end - i);
        System.arraycopy(b, i, field, fieldFill, take);
        fieldFill += take;
        return i + take;
    }

    private void startChunk() {
        long length = (field[0] & 0xFFL) << 24 | (field[1] & 0xFF) << 16 | (field[2] & 0xFF) << 8 | (field[3] & 0xFF);
        StringBuilder type = new StringBuilder(4);
        for (int k = 4; k < 8; k++) {
            int c = field[k] & 0xFF;
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                problem = "invalid PNG chunk type after chunk " + chunkType;
                return;
            }
            type.append((char) c);
        }
        chunkType = type.toString();
        if (length > MAX_CHUNK_LENGTH) {
            problem = "PNG chunk " + chunkType + " claims " + length + " bytes, over the format's limit";
            return;
        }
        if (chunks == 0 && !chunkType.equals("IHDR")) {
            problem = "the PNG does not start with IHDR";
            return;
        }
        chunks++;
        crc.reset();
        crc.update(field, 4, 4);
        remaining = length;
        state = length == 0 ? State.CRC : State.DATA;
    }

    private void endChunk() {
        long stored = (field[0] & 0xFFL) << 24 | (field[1] & 0xFF) << 16 | (field[2] & 0xFF) << 8 | (field[3] & 0xFF);
        if (stored != crc.getValue()) {
            problem = "CRC error in PNG chunk " + chunkType;
            return;
        }
        state = chunkType.equals("IEND") ? State.DONE : State.CHUNK_HEADER;
    }

    private void ended() {
        if (problem != null) {
            return;
        }
        switch (state) {
            case CHUNK_HEADER -> problem = fieldFill == 0
                    ? "the PNG is truncated: it ends before IEND"
                    : "the PNG is truncated inside a chunk header";
            case DATA, CRC -> problem = "the PNG is truncated: it ends inside chunk " + chunkType;
            default -> {
                // SIGNATURE (a short file: the reader decides), DONE, NOT_PNG: nothing to say
            }
        }
    }
}
