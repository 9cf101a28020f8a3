package dev.imagery.local.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time (user + system) of named processes from /proc, to say where a benchmark's work goes on the shared cores.
 * Named in {@code -Dbench.pids=api:123,emulators:456}; the benchmark's own process is always there, as "client".
 */
final class ProcessCpu {

  /** Linux's USER_HZ: /proc reports CPU time in these ticks. */
  private static final double TICKS_PER_SECOND = 100;

  private final Map<String, String> pids = new LinkedHashMap<>();

  ProcessCpu() {
    pids.put("client", "self");
    String named = System.getProperty("bench.pids", "");
    for (String entry : named.split(",")) {
      String[] nameAndPid = entry.split(":");
      if (nameAndPid.length == 2) {
        pids.put(nameAndPid[0].trim(), nameAndPid[1].trim());
      }
    }
  }

  /** CPU seconds used so far by each process; a process that cannot be read is left out. */
  Map<String, Double> snapshot() {
    Map<String, Double> seconds = new LinkedHashMap<>();
    pids.forEach((name, pid) -> {
      try {
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        seconds.put(name, (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND);
      } catch (IOException | RuntimeException e) {
        // not on Linux, or the process is gone: no figure for it
      }
    });
    return seconds;
  }

  /** "client 0.21 ms, api 0.80 ms, ..." of CPU per unit of work between two snapshots. */
  static String perUnit(Map<String, Double> before, Map<String, Double> after, double units, String unit) {
    StringBuilder text = new StringBuilder();
    after.forEach((name, seconds) -> {
      Double was = before.get(name);
      if (was != null && units > 0) {
        text.append(text.length() == 0 ? "" : ", ")
            .append(String.format("%s %.2f ms", name, (seconds - was) * 1000 / units));
      }
    });
    return text.append(" of CPU per ").append(unit).toString();
  }
}
