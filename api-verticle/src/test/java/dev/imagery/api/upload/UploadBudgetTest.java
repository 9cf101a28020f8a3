package dev.imagery.api.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.api.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The API's upload memory budget, on a real Vert.x event loop (its timers included). */
class UploadBudgetTest {

  private static final long MIB = 1024 * 1024;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Runs {@code action} on one event-loop context, as the verticle does, and waits for its result. */
  private <T> T onContext(java.util.function.Supplier<Future<T>> action) throws Exception {
    var context = vertx.getOrCreateContext();
    io.vertx.core.Promise<T> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> action.get().onComplete(done));
    return done.future().await(30, TimeUnit.SECONDS);
  }

  @Test
  void uploadsWithinTheBudgetAreAdmittedAtOnceAndTheNextWaitsForARelease() throws Exception {
    UploadBudget budget = new UploadBudget(vertx, 32 * MIB, Duration.ofSeconds(20));
    var context = vertx.getOrCreateContext();
    io.vertx.core.Promise<String> outcome = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      Future<UploadBudget.Reservation> first = budget.reserve(15 * MIB);
      Future<UploadBudget.Reservation> second = budget.reserve(15 * MIB);
      Future<UploadBudget.Reservation> third = budget.reserve(15 * MIB);
      String before = first.succeeded() + " " + second.succeeded() + " " + third.isComplete() + " " + budget.reserved();
      first.result().release();
      first.result().release(); // idempotent
      outcome.complete(before + " | " + third.succeeded() + " " + budget.reserved());
    });

    assertThat(outcome.future().await(30, TimeUnit.SECONDS))
        .as("admitted, admitted, waiting, 30 MiB held | the third admitted on the release, still 30 MiB")
        .isEqualTo("true true false " + 30 * MIB + " | true " + 30 * MIB);
  }

  @Test
  void anUploadThatFindsNoRoomWithinTheWaitGets503Busy() throws Exception {
    UploadBudget budget = new UploadBudget(vertx, 16 * MIB, Duration.ofMillis(200));

    Throwable refused = onContext(() -> {
      budget.reserve(16 * MIB);
      return budget.reserve(1 * MIB).map(r -> (Throwable) null).otherwise(err -> err);
    });

    assertThat(refused).isInstanceOfSatisfying(ApiException.class, e -> {
      assertThat(e.status()).isEqualTo(503);
      assertThat(e.code()).isEqualTo("BUSY");
    });
    assertThat(budget.reserved()).as("the refused one holds nothing").isEqualTo(16 * MIB);
  }

  @Test
  void aReservationLargerThanTheBudgetTakesAllOfItAndAQueuedLargeOneIsNotOvertaken() throws Exception {
    UploadBudget budget = new UploadBudget(vertx, 16 * MIB, Duration.ofSeconds(20));

    String order = onContext(() -> {
      UploadBudget.Reservation small = budget.reserve(4 * MIB).result();
      Future<UploadBudget.Reservation> huge = budget.reserve(100 * MIB);
      Future<UploadBudget.Reservation> later = budget.reserve(1 * MIB);
      String waiting = huge.isComplete() + " " + later.isComplete();
      small.release();
      String afterRelease = huge.succeeded() + " " + later.isComplete() + " " + budget.reserved();
      huge.result().release();
      return Future.succeededFuture(waiting + " | " + afterRelease + " | " + later.succeeded());
    });

    assertThat(order).as("both wait (first come, first served) | the huge one holds all 16 MiB | then the small")
        .isEqualTo("false false | true false " + 16 * MIB + " | true");
  }
}
