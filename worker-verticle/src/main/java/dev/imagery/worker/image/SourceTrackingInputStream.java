package dev.imagery.worker.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Remembers whether the caller's stream itself failed. Decoders wrap every IOException alike (the PNG reader
 * turns a network error into "Error reading PNG image data"), but a failing source is transient and must be
 * retried, while the same exception from bad bytes means the image is corrupt for good.
 */
final class SourceTrackingInputStream extends FilterInputStream {

    private IOException failure;
    private final AbortHandle abort;

    SourceTrackingInputStream(InputStream in) {
        this(in, new AbortHandle());
    }

    /** {@code abort} learns when a read is in progress: a deadline then is the source's fault, not the image's. */
    SourceTrackingInputStream(InputStream in, AbortHandle abort) {
        super(in);
        this.abort = abort;
    }

    /** The first IOException thrown by the underlying stream, or null. */
    IOException failure() {
        return failure;
    }

    @Override
    public int read() throws IOException {
        abort.sourceReadStarted();
        try {
            return super.read();
        } catch (IOException e) {
            throw record(e);
        } finally {
            abort.sourceReadEnded();
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        abort.sourceReadStarted();
        try {
            return super.read(b, off, len);
        } catch (IOException e) {
            throw record(e);
        } finally {
            abort.sourceReadEnded();
        }
    }

    @Override
    public long skip(long n) throws IOException {
        abort.sourceReadStarted();
        try {
            return super.skip(n);
        } catch (IOException e) {
            throw record(e);
        } finally {
            abort.sourceReadEnded();
        }
    }

    @Override
    public int available() throws IOException {
        try {
            return super.available();
        } catch (IOException e) {
            throw record(e);
        }
    }

    private IOException record(IOException e) {
        if (failure == null) {
            failure = e;
        }
        return e;
    }
}
