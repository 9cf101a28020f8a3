package dev.imagery.shared.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JobMessageTest {

  private static final String ID = "3f2b6c1e-8a4d-4c6b-9f0e-2d7a5b1c9e48";

  @Test
  void roundTrips() {
    JobMessage job = new JobMessage(ID, "upload-1");

    assertThat(JobMessage.parse(job.toJson())).contains(job);
  }

  @Test
  void anythingElseIsPoison() {
    assertThat(JobMessage.parse("")).isEmpty();
    assertThat(JobMessage.parse("not json")).isEmpty();
    assertThat(JobMessage.parse("[]")).isEmpty();
    assertThat(JobMessage.parse("{}")).isEmpty();
    assertThat(JobMessage.parse("{\"imageId\":\"nope\",\"uploadId\":\"u\"}")).isEmpty();
    assertThat(JobMessage.parse("{\"imageId\":\"" + ID + "\"}")).isEmpty();
    assertThat(JobMessage.parse("{\"imageId\":42,\"uploadId\":\"u\"}")).isEmpty();
  }
}
