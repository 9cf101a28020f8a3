package dev.imagery.local.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imagery.local.testing.ApiClient;
import dev.imagery.local.testing.HeldStream;
import dev.imagery.local.testing.Images;
import java.io.ByteArrayInputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The per-caller limits through the real API (AuthStack: 20 requests per second with a burst of 40, 2 uploads at
 * once): past them carol gets 429 with Retry-After as a JSON error, and the other callers do not notice.
 */
class PerCallerLimitsTest {

  private final AuthStack stack = AuthStack.get();

  @Test
  void aCallerOverItsRequestRateGets429AndOthersAreServed() {
    // A malformed id: counted by the gate like any request, answered 400 without a database read, so that the
    // burst runs out however slow the machine is.
    List<ApiClient.Response> answers = new ArrayList<>();
    for (int i = 0; i < AuthStack.BURST * 3; i++) {
      answers.add(stack.carol.get("/image/no-such-route"));
    }
    ApiClient.Response limited = answers.stream().filter(r -> r.status() == 429).findFirst().orElseThrow(
        () -> new AssertionError("no 429 in " + answers.size() + " quick requests"));
    ApiClient.Response bobs = stack.bob.send("POST", "/image");

    assertThat(answers.subList(0, AuthStack.BURST / 2)).as("the start of the burst").allSatisfy(
        answer -> assertThat(answer.status()).isEqualTo(400));
    assertThat(limited.headers().firstValue("Retry-After")).contains("1");
    assertThat(limited.json().getString("error")).isEqualTo("TOO_MANY_REQUESTS");
    assertThat(bobs.status()).as("bob is not carol").isEqualTo(201);
  }

  @Test
  void aCallerWithTheMostUploadsRunningGets429ForTheNextAndOthersMayUpload() throws Exception {
    byte[] photo = Images.resource("pillow/hopper.jpg");
    CountDownLatch finish = new CountDownLatch(1);
    List<CompletableFuture<ApiClient.Response>> held = new ArrayList<>();
    for (int i = 0; i < AuthStack.MAX_UPLOADS; i++) {
      String id = stack.carol.createImage();
      held.add(CompletableFuture.supplyAsync(() -> stack.carol.uploadChunked(id,
          () -> new SequenceInputStream(new ByteArrayInputStream(photo, 0, photo.length / 2),
              new HeldStream(finish, new ByteArrayInputStream(photo, photo.length / 2, photo.length))))));
    }
    String next = stack.carol.createImage();
    ApiClient.Response refused = dev.imagery.local.testing.Poll.await("carol's uploads to hold her slots",
        java.time.Duration.ofSeconds(30), () -> stack.carol.upload(next, photo), answer -> answer.status() != 202);
    ApiClient.Response bobs = stack.bob.upload(stack.bob.createImage(), photo);
    finish.countDown();

    assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(refused.json().getString("message")).contains("uploads at once");
    assertThat(bobs.status()).as("bob's upload, while carol's hold hers").isEqualTo(202);
    for (CompletableFuture<ApiClient.Response> upload : held) {
      assertThat(upload.get(60, TimeUnit.SECONDS).status()).isEqualTo(202);
    }
    assertThat(stack.carol.get("/image/" + next).json().getString("state")).as("nothing stored for the refused one")
        .isEqualTo("created");
    assertThat(dev.imagery.local.testing.Poll.await("carol's slots to be free", java.time.Duration.ofSeconds(30),
        () -> stack.carol.upload(next, photo), answer -> answer.status() != 429).status()).isEqualTo(202);
  }
}
