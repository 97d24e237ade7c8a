package org.sparkkge.core.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.sparkkge.core.TripleArrays;

/**
 * What the benchmarks share: key=value arguments over their defaults (an unknown key is an error),
 * the load average printed beside each figure, and the slices of concurrent trainings.
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

  /**
   * Slice {@code i} of {@code slices} consecutive, disjoint, near-equal slices of {@code triples}:
   * what one of that many concurrent trainings (Spark tasks of one executor) trains on.
   */
  static TripleArrays slice(TripleArrays triples, int i, int slices) {
    int n = triples.size();
    return triples.select(
        IntStream.range((int) ((long) n * i / slices), (int) ((long) n * (i + 1) / slices))
            .toArray());
  }

  /** The one-minute load average (/proc/loadavg), so a figure shows what else was running. */
  static String loadAverage() throws IOException {
    return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
  }
}
