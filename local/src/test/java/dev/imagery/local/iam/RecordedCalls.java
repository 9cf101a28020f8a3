package dev.imagery.local.iam;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The AWS call log every test service writes (IMAGERY_AWS_CALL_LOG): one file for the whole build, appended to by
 * the in-JVM stacks and the chaos tests' service processes alike. Maven's clean plugin empties it before the tests
 * (local/pom.xml), and {@link LeastPrivilegeIT} reads it after them.
 */
public final class RecordedCalls {

  /** One line of the log: which service called which operation on which of Imagery's resources. */
  public record Call(String caller, String operation, String resource) {
  }

  public static final Path FILE = Path.of("target", "aws-calls", "calls.log").toAbsolutePath();

  private RecordedCalls() {
  }

  /** The variables that switch the log on for a service under test. */
  public static Map<String, String> env() {
    return Map.of("IMAGERY_AWS_CALL_LOG", FILE.toString());
  }

  static List<Call> read() {
    try {
      return Files.readAllLines(FILE).stream()
          .filter(line -> !line.isBlank())
          .map(line -> line.split("\t"))
          .map(fields -> new Call(fields[0], fields[1], fields[2]))
          .distinct()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("no AWS call log at " + FILE + ": run the tests first (mvn verify)", e);
    }
  }

  /** caller -> the "operation on resource" pairs it was seen to call. */
  static Map<String, Set<String>> byCaller(List<Call> calls) {
    Map<String, Set<String>> byCaller = new TreeMap<>();
    for (Call call : calls) {
      byCaller.computeIfAbsent(call.caller(), k -> new TreeSet<>()).add(call.operation() + " " + call.resource());
    }
    return byCaller;
  }
}
