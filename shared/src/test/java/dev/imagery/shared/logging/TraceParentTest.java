package dev.imagery.shared.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TraceParentTest {

  private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @Test
  void readsTheSpecsExample() {
    TraceParent trace = TraceParent.parse(VALID).orElseThrow();
    assertThat(trace.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(trace.spanId()).isEqualTo("00f067aa0ba902b7");
    assertThat(trace.flags()).isEqualTo("01");
    assertThat(trace.header()).isEqualTo(VALID);
  }

  @Test
  void refusesWhatTheSpecRefuses() {
    assertThat(TraceParent.parse(null)).isEmpty();
    assertThat(TraceParent.parse("")).isEmpty();
    assertThat(TraceParent.parse("garbage")).isEmpty();
    assertThat(TraceParent.parse(VALID.toUpperCase())).as("uppercase hex").isEmpty();
    assertThat(TraceParent.parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).as("zero trace").isEmpty();
    assertThat(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")).as("zero span").isEmpty();
    assertThat(TraceParent.parse("ff" + VALID.substring(2))).as("version ff").isEmpty();
    assertThat(TraceParent.parse(VALID + "-extra")).as("version 00 has no more fields").isEmpty();
    assertThat(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01")).as("short id").isEmpty();
  }

  @Test
  void readsALaterVersionByItsVersion00Prefix() {
    TraceParent trace = TraceParent.parse("01" + VALID.substring(2) + "-what-comes-next").orElseThrow();
    assertThat(trace.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(trace.header()).as("written as version 00").startsWith("00-");
    assertThat(TraceParent.parse("01" + VALID.substring(2) + "x")).as("no dash after the flags").isEmpty();
  }

  @Test
  void aChildKeepsTheTraceAndGetsASpanOfItsOwn() {
    TraceParent parent = TraceParent.parse(VALID).orElseThrow();
    TraceParent child = parent.child();
    assertThat(child.traceId()).isEqualTo(parent.traceId());
    assertThat(child.flags()).isEqualTo(parent.flags());
    assertThat(child.spanId()).isNotEqualTo(parent.spanId()).matches("[0-9a-f]{16}");
    assertThat(TraceParent.parse(child.header())).contains(child);
  }

  @Test
  void newTracesAreValidAndDistinct() {
    TraceParent a = TraceParent.newTrace();
    TraceParent b = TraceParent.newTrace();
    assertThat(TraceParent.parse(a.header())).contains(a);
    assertThat(a.traceId()).isNotEqualTo(b.traceId()).matches("[0-9a-f]{32}");
  }
}
