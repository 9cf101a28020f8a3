package dev.imagery.local.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's load average, printed with every number: the benchmarks share 2 cores with other work. */
final class Load {

  private Load() {
  }

  /** "1-min 5-min 15-min" from /proc/loadavg, or "unknown" where there is none. */
  static String now() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
