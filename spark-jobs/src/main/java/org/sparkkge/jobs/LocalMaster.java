package org.sparkkge.jobs;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;

/**
 * Spark's local masters, where the driver's JVM runs every task: {@code local}, {@code local[N]},
 * {@code local[*]} and their forms with a failure count ({@code local[N, F]}). Not {@code
 * local-cluster[...]}, whose executors are JVMs of their own, as on a cluster. The one place that
 * tells them apart (default shard count, GPU scheduling, memory per executor).
 */
public final class LocalMaster {
  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");

  private LocalMaster() {}

  public static boolean is(String master) {
    return LOCAL.matcher(master).matches();
  }

  /** Whether {@code conf}'s spark.master is local (no master set: not local). */
  public static boolean is(SparkConf conf) {
    return is(conf.get("spark.master", ""));
  }

  /**
   * Task threads of a local master: N of local[N], every core of the machine for local[*], 1 for
   * local.
   */
  public static int threads(String master) {
    Matcher m = LOCAL.matcher(master);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a local master: " + master);
    }
    String threads = m.group(1);
    return threads == null
        ? 1
        : threads.equals("*")
            ? Runtime.getRuntime().availableProcessors()
            : Integer.parseInt(threads);
  }
}
