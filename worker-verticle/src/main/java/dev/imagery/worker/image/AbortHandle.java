package dev.imagery.worker.image;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.imageio.ImageReader;

/**
 * Lets another thread stop one {@link ImagePipeline#process} call, e.g. a job's deadline timer. Free of any
 * framework: the caller keeps the handle and calls {@link #abort()} from wherever its clock runs.
 *
 * <p>What an abort stops, and how soon:
 * <ul>
 *   <li><b>decoding</b>: every read the decoder makes from its image stream checks the flag and fails, so the
 *       decoder stops at its next buffer refill (libjpeg and the PNG inflater read a few KiB at a time, between
 *       scans and rows); the reader's own {@link ImageReader#abort()} is called too, for readers that honour it
 *       from another thread (the JDK's PNG reader does; its JPEG reader refuses calls from a second thread,
 *       hence the stream check);</li>
 *   <li><b>between stages</b>: decode, sepia, encode and thumbnail each start only if no abort came;</li>
 *   <li><b>not within</b> the sepia filter, the encoders or the thumbnailer: they run to the end of their stage
 *       (bounded by the pixel limit; measured at 48 MP on one core: filter 0.3-0.5 s, encode 0.3-1.5 s,
 *       thumbnail 1.0-1.4 s) and the next stage
 *       boundary stops the call.</li>
 * </ul>
 * Either way the call ends with {@link PipelineAbortedException} (or, if the abort came during the last stage,
 * returns its result, which the caller may discard). A blocked read of the caller's own stream is not
 * interrupted: {@link #waitingOnSource()} tells the caller to abort that stream itself. A call waiting for the
 * worker's {@link MemoryBudget} stops within {@value MemoryBudget#ABORT_POLL_MS} ms, holding nothing;
 * {@link #waitingForMemory()} says when it waits.
 *
 * <p>Thread-safe: {@link #abort()} from any thread, the rest from the pipeline's thread.
 */
public final class AbortHandle {

    private volatile boolean aborted;
    private volatile ImageReader reader;
    /** Reads of the caller's stream in progress: more than zero while the pipeline waits for its input. */
    private final AtomicInteger sourceReads = new AtomicInteger();
    /** The pipeline waits for room in the worker's memory budget (other jobs hold it). */
    private volatile boolean memoryWait;
    /** It has waited for the budget, at some point of this call. */
    private volatile boolean memoryWaited;

    /** Stops the pipeline as soon as it notices (see the class comment); idempotent, never blocks. */
    public void abort() {
        aborted = true;
        ImageReader current = reader;
        if (current != null) {
            try {
                current.abort();
            } catch (RuntimeException e) {
                // The JDK's JPEG reader throws IllegalStateException when called from a thread other than the one
                // decoding; the stream check stops it instead.
            }
        }
    }

    public boolean aborted() {
        return aborted;
    }

    /**
     * True while the pipeline is blocked reading the caller's stream (e.g. the upload still arriving from S3): a
     * deadline passing now is the source's fault, not the image's.
     */
    public boolean waitingOnSource() {
        return sourceReads.get() > 0;
    }

    /**
     * True while the pipeline waits for the worker's {@link MemoryBudget}: the other jobs hold the memory its image
     * needs. A deadline passing now is not the image's fault either: the job is worth another try.
     */
    public boolean waitingForMemory() {
        return memoryWait;
    }

    /**
     * True once the pipeline has had to wait for the worker's {@link MemoryBudget}, whether it still waits or has
     * been admitted since: the job's time then went partly to other jobs, so an overrun of its deadline cannot be
     * pinned on its image alone.
     */
    public boolean waitedForMemory() {
        return memoryWaited;
    }

    /**
     * <b>Tests only</b> (fault injection): blocks like a decode that never ends, until {@link #abort()}, then throws
     * as an aborted decode does. Checks the flag every 10 ms.
     */
    public void hangUntilAborted() {
        while (!aborted) {
            LockSupport.parkNanos(10_000_000L);
        }
        throw new PipelineAbortedException("decoding (a hang injected for tests)");
    }

    /** Throws if an abort came: called between stages. */
    void check(String stage) {
        if (aborted) {
            throw new PipelineAbortedException(stage);
        }
    }

    void attach(ImageReader current) {
        reader = current;
        if (aborted) {
            current.abort();
        }
    }

    void detach() {
        reader = null;
    }

    /** The decoder is decoding pixels (in its reader's read()). For tests. */
    boolean readerAttached() {
        return reader != null;
    }

    void sourceReadStarted() {
        sourceReads.incrementAndGet();
    }

    void sourceReadEnded() {
        sourceReads.decrementAndGet();
    }

    void memoryWaitStarted() {
        memoryWaited = true;
        memoryWait = true;
    }

    void memoryWaitEnded() {
        memoryWait = false;
    }
}
