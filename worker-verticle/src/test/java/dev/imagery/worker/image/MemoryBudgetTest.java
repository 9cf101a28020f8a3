package dev.imagery.worker.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7, item 3: the worker-wide memory budget on its own: who is admitted, who waits and in which order, the
 * image larger than the whole budget, and a wait ended by an abort or an interrupt. No sleeps: each step waits for
 * the state it needs, with a deadline. {@link MemoryBudgetPipelineTest} has the budget inside the real pipeline.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MemoryBudgetTest {

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    @Test
    void reservationsThatFitAreAdmittedAtOnceAndCountedUntilClosed() {
        MemoryBudget budget = new MemoryBudget(100);

        MemoryBudget.Reservation a = budget.reserve(60, new AbortHandle(), "a");
        MemoryBudget.Reservation b = budget.reserve(40, new AbortHandle(), "b");

        assertThat(a.waited()).isFalse();
        assertThat(b.waitedMillis()).isZero();
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 100, 2, 0, 0));
        a.close();
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 40, 1, 0, 0));
        b.close();
        b.close(); // idempotent: the pipeline's finally may meet a reservation given back already
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 0, 0, 0, 0));
    }

    @Test
    void aReservationThatDoesNotFitWaitsUntilMemoryIsGivenBack() throws Exception {
        MemoryBudget budget = new MemoryBudget(100);
        AbortHandle firstsHandle = new AbortHandle();
        MemoryBudget.Reservation first = budget.reserve(70, firstsHandle, "first");
        AbortHandle secondsHandle = new AbortHandle();

        Future<MemoryBudget.Reservation> second = threads.submit(() -> budget.reserve(70, secondsHandle, "second"));
        awaitTrue("the second to wait", secondsHandle::waitingForMemory);
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 70, 1, 1, 0));
        assertThat(second.isDone()).isFalse();

        first.close();

        MemoryBudget.Reservation admitted = second.get(30, TimeUnit.SECONDS);
        assertThat(admitted.waited()).isTrue();
        assertThat(admitted.grantedBytes()).isEqualTo(70);
        assertThat(secondsHandle.waitingForMemory()).isFalse();
        assertThat(secondsHandle.waitedForMemory()).as("its deadline counted another job's time").isTrue();
        assertThat(firstsHandle.waitedForMemory()).isFalse();
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 70, 1, 0, 1));
        admitted.close();
        assertThat(budget.snapshot().reservedBytes()).isZero();
    }

    @Test
    void waitersAreAdmittedInArrivalOrderSoASmallImageNeverOvertakesALargeOne() throws Exception {
        MemoryBudget budget = new MemoryBudget(100);
        MemoryBudget.Reservation running = budget.reserve(60, new AbortHandle(), "running");
        AbortHandle largeHandle = new AbortHandle();
        Future<MemoryBudget.Reservation> large = threads.submit(() -> budget.reserve(50, largeHandle, "large"));
        awaitTrue("the large one to wait", largeHandle::waitingForMemory);
        AbortHandle smallHandle = new AbortHandle();

        // 10 would fit beside the 60 held, but the large one came first.
        Future<MemoryBudget.Reservation> small = threads.submit(() -> budget.reserve(10, smallHandle, "small"));

        awaitTrue("the small one to wait behind it", smallHandle::waitingForMemory);
        assertThat(budget.snapshot().waiting()).isEqualTo(2);
        assertThat(large.isDone()).isFalse();
        running.close();
        MemoryBudget.Reservation largeIn = large.get(30, TimeUnit.SECONDS);
        MemoryBudget.Reservation smallIn = small.get(30, TimeUnit.SECONDS);
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 60, 2, 0, 2));
        largeIn.close();
        smallIn.close();
    }

    @Test
    void anImageLargerThanTheWholeBudgetTakesAllOfItAndRunsAlone() throws Exception {
        MemoryBudget budget = new MemoryBudget(100);

        MemoryBudget.Reservation huge = budget.reserve(250, new AbortHandle(), "huge");
        assertThat(huge.waited()).as("nothing else held any: admitted at once, never refused").isFalse();
        assertThat(huge.requestedBytes()).isEqualTo(250);
        assertThat(huge.grantedBytes()).isEqualTo(100);
        AbortHandle tinyHandle = new AbortHandle();
        Future<MemoryBudget.Reservation> tiny = threads.submit(() -> budget.reserve(1, tinyHandle, "tiny"));
        awaitTrue("even one byte to wait beside it", tinyHandle::waitingForMemory);
        huge.close();
        MemoryBudget.Reservation tinyIn = tiny.get(30, TimeUnit.SECONDS);

        AbortHandle nextHugeHandle = new AbortHandle();
        Future<MemoryBudget.Reservation> nextHuge = threads.submit(() -> budget.reserve(1000, nextHugeHandle, "next"));
        awaitTrue("the next huge one to wait for the one byte held", nextHugeHandle::waitingForMemory);
        tinyIn.close();
        MemoryBudget.Reservation nextIn = nextHuge.get(30, TimeUnit.SECONDS);
        assertThat(nextIn.grantedBytes()).isEqualTo(100);
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 100, 1, 0, 2));
        nextIn.close();
    }

    @Test
    void anAbortEndsTheWaitHoldingNothingAndTheNextInLineMovesUp() throws Exception {
        MemoryBudget budget = new MemoryBudget(100);
        MemoryBudget.Reservation running = budget.reserve(60, new AbortHandle(), "running");
        AbortHandle largeHandle = new AbortHandle();
        Future<MemoryBudget.Reservation> large = threads.submit(() -> budget.reserve(50, largeHandle, "large"));
        awaitTrue("the large one to wait", largeHandle::waitingForMemory);
        AbortHandle smallHandle = new AbortHandle();
        Future<MemoryBudget.Reservation> small = threads.submit(() -> budget.reserve(30, smallHandle, "small"));
        awaitTrue("the small one to wait behind it", smallHandle::waitingForMemory);

        largeHandle.abort();

        PipelineAbortedException aborted = abortedFrom(large);
        assertThat(aborted.stage()).isEqualTo("waiting for memory");
        assertThat(largeHandle.waitingForMemory()).isFalse();
        // The small one fits beside the 60 still held: it goes in without anything being given back.
        MemoryBudget.Reservation smallIn = small.get(30, TimeUnit.SECONDS);
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 90, 2, 0, 1));
        smallIn.close();
        running.close();
        assertThat(budget.snapshot().reservedBytes()).isZero();
    }

    @Test
    void anAbortedHandleIsNeverAdmittedEvenWhenItWouldFit() {
        MemoryBudget budget = new MemoryBudget(100);
        AbortHandle abort = new AbortHandle();
        abort.abort();

        assertThatThrownBy(() -> budget.reserve(10, abort, "aborted")).isInstanceOf(PipelineAbortedException.class);
        assertThat(budget.snapshot().reservedBytes()).isZero();
    }

    @Test
    void anInterruptEndsTheWaitAsAnAbortAndKeepsTheInterruptFlag() throws Exception {
        MemoryBudget budget = new MemoryBudget(100);
        MemoryBudget.Reservation running = budget.reserve(100, new AbortHandle(), "running");
        AbortHandle abort = new AbortHandle();
        AtomicBoolean flagKept = new AtomicBoolean();
        Thread waiter = new Thread(() -> {
            try {
                budget.reserve(10, abort, "interrupted");
            } catch (PipelineAbortedException e) {
                flagKept.set(Thread.currentThread().isInterrupted());
            }
        });
        waiter.start();
        awaitTrue("the waiter to wait", abort::waitingForMemory);

        waiter.interrupt();

        waiter.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(waiter.isAlive()).isFalse();
        assertThat(flagKept).isTrue();
        assertThat(budget.snapshot()).isEqualTo(new MemoryBudget.Snapshot(100, 100, 1, 0, 0));
        running.close();
    }

    @Test
    void theUnlimitedBudgetNeverMakesAnyoneWait() {
        MemoryBudget budget = MemoryBudget.unlimited();
        MemoryBudget.Reservation a = budget.reserve(Long.MAX_VALUE / 2, new AbortHandle(), "a");
        MemoryBudget.Reservation b = budget.reserve(Long.MAX_VALUE / 2, new AbortHandle(), "b");
        assertThat(budget.snapshot().holders()).isEqualTo(2);
        a.close();
        b.close();
        assertThatThrownBy(() -> new MemoryBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }

    static PipelineAbortedException abortedFrom(Future<?> call) {
        try {
            call.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(PipelineAbortedException.class);
            return (PipelineAbortedException) e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the aborted call did not end within 30 s", e);
        }
        throw new AssertionError("the aborted call returned");
    }

    static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waited 30 s for %s", what).isNegative();
            LockSupport.parkNanos(1_000_000L);
        }
    }
}
