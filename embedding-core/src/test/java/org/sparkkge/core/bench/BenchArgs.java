package org.sparkkge.core.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The benchmarks' key=value arguments over their defaults; an unknown key is an error. */
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
}
