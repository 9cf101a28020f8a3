package dev.imagery.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

class HeldBytesTest {

  private final HeldBytes held = new HeldBytes(100);

  @Test
  void jobsThatFitAreAdmittedAtOnceAndTheNextWaitsForRoom() {
    Future<HeldBytes.Lease> first = held.acquire(60);
    Future<HeldBytes.Lease> second = held.acquire(40);
    Future<HeldBytes.Lease> third = held.acquire(1);
    assertThat(first.succeeded()).isTrue();
    assertThat(second.succeeded()).as("exactly fills the capacity").isTrue();
    assertThat(third.isComplete()).as("no room left").isFalse();
    assertThat(held.heldBytes()).isEqualTo(100);
    assertThat(held.waiting()).isEqualTo(1);

    first.result().close();
    assertThat(third.succeeded()).isTrue();
    assertThat(held.heldBytes()).isEqualTo(41);
    assertThat(held.holders()).isEqualTo(2);
  }

  @Test
  void firstComeFirstServedASmallJobDoesNotOvertakeALargeOne() {
    HeldBytes.Lease running = held.acquire(50).result();
    Future<HeldBytes.Lease> large = held.acquire(80);
    Future<HeldBytes.Lease> small = held.acquire(10);
    assertThat(large.isComplete()).isFalse();
    assertThat(small.isComplete()).as("it would fit, but the large one came first").isFalse();

    running.close();
    assertThat(large.succeeded()).isTrue();
    assertThat(small.succeeded()).isTrue();
  }

  @Test
  void anUploadLargerThanTheCapacityIsAdmittedAloneAndNeverWaitsForever() {
    Future<HeldBytes.Lease> huge = held.acquire(500);
    assertThat(huge.succeeded()).as("nothing else held").isTrue();
    Future<HeldBytes.Lease> next = held.acquire(1);
    assertThat(next.isComplete()).isFalse();
    huge.result().close();
    assertThat(next.succeeded()).isTrue();
  }

  @Test
  void shrinkingToTheResultsMakesRoomAndClosingTwiceGivesBackOnce() {
    HeldBytes.Lease job = held.acquire(90).result();
    Future<HeldBytes.Lease> waiting = held.acquire(30);
    assertThat(waiting.isComplete()).isFalse();

    job.resize(20); // the upload let go of, the results held until stored
    assertThat(waiting.succeeded()).isTrue();
    assertThat(held.heldBytes()).isEqualTo(50);

    job.close();
    job.close();
    assertThat(held.heldBytes()).isEqualTo(30);
    assertThat(held.holders()).isEqualTo(1);
  }

  @Test
  void theDefaultIsASixthOfTheHeapAndAtLeast16MiB() {
    assertThat(HeldBytes.defaultCapacity(1536L * 1024 * 1024)).isEqualTo(256L * 1024 * 1024);
    assertThat(HeldBytes.defaultCapacity(32L * 1024 * 1024)).isEqualTo(16L * 1024 * 1024);
  }
}
