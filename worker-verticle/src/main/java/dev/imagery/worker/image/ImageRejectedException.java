package dev.imagery.worker.image;

import java.util.Objects;

/**
 * The image can never be processed, however often it is retried: the caller should mark the job failed with
 * {@link #getMessage()} (written for users) instead of retrying. Transient trouble (the source stream failing)
 * is an {@link java.io.IOException}, never this.
 */
public class ImageRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    public ImageRejectedException(RejectReason reason, String message) {
        this(reason, message, null);
    }

    public ImageRejectedException(RejectReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public RejectReason reason() {
        return reason;
    }
}
