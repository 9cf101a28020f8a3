package dev.imagery.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SoloGateTest {

  private final AtomicInteger inFlight = new AtomicInteger();
  private final SoloGate gate = new SoloGate(inFlight::get);

  @Test
  void aSuspectWaitsForTheOtherJobsAndHoldsTheIntakeUntilItEnds() {
    inFlight.set(2); // one innocent job running, and the suspect itself
    Future<Void> turn = gate.awaitAlone();
    assertThat(turn.isComplete()).as("another job still runs").isFalse();
    assertThat(gate.holdsIntake()).as("no new work while a suspect waits").isTrue();

    inFlight.set(1);
    gate.jobEnded();
    assertThat(turn.succeeded()).as("alone now").isTrue();
    assertThat(gate.holdsIntake()).as("no new work while it runs").isTrue();

    gate.soloEnded();
    inFlight.set(0);
    gate.jobEnded();
    assertThat(gate.holdsIntake()).isFalse();
  }

  @Test
  void twoSuspectsRunOneAfterTheOtherInArrivalOrder() {
    inFlight.set(2); // both suspects, nothing else
    Future<Void> first = gate.awaitAlone();
    Future<Void> second = gate.awaitAlone();
    assertThat(first.succeeded()).as("the first suspect, alone but for the other waiting suspect").isTrue();
    assertThat(second.isComplete()).as("one at a time").isFalse();
    assertThat(gate.waiting()).isEqualTo(1);

    gate.soloEnded();
    assertThat(second.isComplete()).as("the first has not left the jobs in flight yet").isFalse();
    inFlight.set(1);
    gate.jobEnded();
    assertThat(second.succeeded()).isTrue();
  }
}
