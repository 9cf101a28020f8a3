package dev.imagery.worker.image;

import java.util.concurrent.CancellationException;

/**
 * The pipeline stopped because its {@link AbortHandle} was aborted; says in which stage. Unchecked, like any
 * cancellation: only a caller that holds a handle and aborts it will see it. Whether the image is to blame is the
 * caller's decision (it knows why it aborted).
 */
public final class PipelineAbortedException extends CancellationException {

    private static final long serialVersionUID = 1L;

    private final String stage;

    public PipelineAbortedException(String stage) {
        super("image processing aborted during " + stage);
        this.stage = stage;
    }

    PipelineAbortedException(String stage, Throwable cause) {
        this(stage);
        initCause(cause);
    }

    /** "decoding", "the sepia filter", "encoding", "the thumbnail". */
    public String stage() {
        return stage;
    }
}
