package org.sparkkge.core.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the benchmarks share: key=value arguments over their defaults (an unknown key is an error),
 * and the load average printed beside each figure.
 */
final class BenchArgs {
  private BenchArgs() {}

  static Map<String, String> parse(Map<String, String> defaults, String[] args) {
    Map<String, String> a = new LinkedHashMap<>(defaults);
    for (String arg : args) {
      String[] kv = arg.split("=", 2);
      if (kv.length != 2 || !a.containsKey(kv[0])) {
        throw new IllegalArgumentException(
            "bad argument '" + arg + "', expected key=value with key in " + a.keySet());
      }
      a.put(kv[0], kv[1]);
    }
    return a;
  }

  /** The one-minute load average (/proc/loadavg), so a figure shows what else was running. */
  static String loadAverage() throws IOException {
    return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
  }
}
