package dev.imagery.worker.image;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory one worker lets its image jobs take at once ({@code IMAGERY_WORKER_MEMORY_BUDGET_BYTES}), shared by
 * every {@link ImagePipeline#process} call of the worker. Each call reserves its image's
 * {@link ImageHeader#estimatedDecodedBytes()} after the header pass and the cost-limit checks, before a decoder
 * allocates pixel memory, and gives it back when the call ends, whatever the outcome. Jobs whose images do not
 * fit beside the ones running wait instead of running the heap out (the worker exits on OutOfMemoryError).
 *
 * <ul>
 *   <li><b>First come, first served.</b> Waiters are admitted strictly in arrival order, and a small image does
 *       not overtake a large one that waits for more room: otherwise a steady stream of small images could keep a
 *       large one waiting until its deadline.</li>
 *   <li><b>Never refused for size.</b> An image larger than the whole budget (the per-image limit,
 *       {@code IMAGERY_MAX_DECODED_BYTES}, is what refuses images) takes the whole budget: it runs alone, once
 *       nothing else holds any.</li>
 *   <li><b>Abortable.</b> A waiting call polls its {@link AbortHandle} (every {@value #ABORT_POLL_MS} ms) and ends
 *       with {@link PipelineAbortedException} once aborted; while it waits, {@link AbortHandle#waitingForMemory()}
 *       says so, so that a deadline passing then is not blamed on the image.</li>
 * </ul>
 *
 * <p>Why a lock and a queue of our own rather than a fair {@link java.util.concurrent.Semaphore}: polling the abort
 * flag means a timed wait, and a semaphore's timed {@code tryAcquire} gives up its place in the queue each time it
 * times out, so a large image polling for its abort would fall behind every small one arriving meanwhile. Here a
 * waiter keeps its place while it polls. A semaphore's blocking {@code acquire} keeps its place but only an
 * interrupt ends it, and interrupting a pool thread can close the channels it uses next.
 *
 * <p>Thread-safe. Framework-free, like the rest of the pipeline.
 */
public final class MemoryBudget {

    private static final Logger LOG = LoggerFactory.getLogger(MemoryBudget.class);

    /** How often a waiting call looks at its abort flag: nothing waits on that beyond a job's deadline. */
    static final long ABORT_POLL_MS = 50;

    private final long capacity;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever memory is given back or the head of the queue leaves it. */
    private final Condition changed = lock.newCondition();
    /** Calls waiting for memory, oldest first; guarded by {@link #lock}. */
    private final ArrayDeque<Reservation> queue = new ArrayDeque<>();
    /** Guarded by {@link #lock}. */
    private long reserved;
    private int holders;
    private long admittedAfterWaiting;

    /**
     * @param capacityBytes what all jobs of the worker may hold at once; positive
     */
    public MemoryBudget(long capacityBytes) {
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("the memory budget must be positive: " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    /** A budget that admits everything at once: for callers (tests, tools) that run one image at a time. */
    public static MemoryBudget unlimited() {
        return new MemoryBudget(Long.MAX_VALUE);
    }

    /** What the budget is, in bytes. */
    public long capacityBytes() {
        return capacity;
    }

    /**
     * Takes {@code bytes} (at most the whole budget) for one pipeline call, waiting as long as the calls before it
     * in the queue, or the memory held, leave no room. Close the reservation when the call ends.
     *
     * @param imageId for the log lines of a wait
     * @throws PipelineAbortedException {@code abort} was aborted before the memory was granted (nothing is held)
     */
    public Reservation reserve(long bytes, AbortHandle abort, String imageId) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative: " + bytes);
        }
        abort.check("waiting for memory");
        Reservation mine = new Reservation(Math.min(bytes, capacity), bytes);
        lock.lock();
        try {
            if (queue.isEmpty() && fits(mine.granted)) {
                take(mine);
                return mine;
            }
            LOG.info("image={} waits for memory: needs {}{}; of the {} budget, {} is held by {} job(s), {} waiting"
                    + " ahead", imageId, mib(mine.granted), bytes > capacity ? " (the whole budget: it asked for "
                    + mib(bytes) + ")" : "", mib(capacity), mib(reserved), holders, queue.size());
            queue.addLast(mine);
            abort.memoryWaitStarted();
            long started = System.nanoTime();
            try {
                while (queue.peekFirst() != mine || !fits(mine.granted)) {
                    if (abort.aborted()) {
                        LOG.info("image={} stopped waiting for memory after {} ms: aborted", imageId,
                                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                        throw new PipelineAbortedException("waiting for memory");
                    }
                    try {
                        changed.await(ABORT_POLL_MS, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new PipelineAbortedException("waiting for memory (interrupted)");
                    }
                }
                take(mine);
                admittedAfterWaiting++;
                mine.waited = true;
                mine.waitedNanos = System.nanoTime() - started;
                LOG.info("image={} waited {} ms for memory, now holds {}", imageId, mine.waitedMillis(),
                        mib(mine.granted));
                return mine;
            } finally {
                // Admitted or given up: either way it leaves the queue, and whoever is next may now fit.
                queue.remove(mine);
                abort.memoryWaitEnded();
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** What is held and who waits, now. */
    public Snapshot snapshot() {
        lock.lock();
        try {
            return new Snapshot(capacity, reserved, holders, queue.size(), admittedAfterWaiting);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The budget at one moment.
     *
     * @param capacityBytes        the whole budget
     * @param reservedBytes        held by running calls
     * @param holders              running calls holding memory
     * @param waiting              calls waiting for memory
     * @param admittedAfterWaiting calls that had to wait before they were admitted, since the budget was made
     */
    public record Snapshot(long capacityBytes, long reservedBytes, int holders, int waiting,
            long admittedAfterWaiting) {
    }

    /** "114 MiB" (truncated), as the decoder's limit messages say it. */
    private static String mib(long bytes) {
        return ImageDecoder.describeBytes(bytes);
    }

    private boolean fits(long bytes) {
        return bytes <= capacity - reserved; // never overflows, even for the unlimited budget
    }

    private void take(Reservation reservation) {
        reserved += reservation.granted;
        holders++;
        reservation.held = true;
    }

    private void giveBack(Reservation reservation) {
        lock.lock();
        try {
            if (reservation.held) {
                reservation.held = false;
                reserved -= reservation.granted;
                holders--;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** One call's share of the budget; {@link #close()} gives it back (idempotent). */
    public final class Reservation implements AutoCloseable {

        private final long granted;
        private final long requested;
        /** Guarded by the budget's lock. */
        private boolean held;
        private boolean waited;
        private long waitedNanos;

        private Reservation(long granted, long requested) {
            this.granted = granted;
            this.requested = requested;
        }

        /** What the call asked for. */
        public long requestedBytes() {
            return requested;
        }

        /** What it holds: what it asked for, or the whole budget if it asked for more. */
        public long grantedBytes() {
            return granted;
        }

        /** How long it waited for the memory; zero if admitted at once. */
        public long waitedMillis() {
            return TimeUnit.NANOSECONDS.toMillis(waitedNanos);
        }

        /** It could not be admitted at once. */
        public boolean waited() {
            return waited;
        }

        @Override
        public void close() {
            giveBack(this);
        }
    }
}
