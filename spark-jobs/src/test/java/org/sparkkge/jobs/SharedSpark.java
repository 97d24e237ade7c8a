package org.sparkkge.jobs;

import org.apache.spark.sql.SparkSession;
import org.sparkkge.partitioner.PregelCheckpoints;

/** One SparkSession per test JVM (creating one costs seconds); the CLI under test reuses it. */
public final class SharedSpark {
  private static SparkSession session;

  private SharedSpark() {}

  public static synchronized SparkSession get() {
    if (session == null) {
      session =
          SparkSession.builder()
              .master("local[2]")
              .appName("spark-kge-tests")
              .config("spark.ui.enabled", "false")
              .config("spark.sql.shuffle.partitions", "4")
              // As the CLI's own sessions (SparkSessions): the graph stages' Pregel programs
              // checkpoint.
              .config(
                  PregelCheckpoints.INTERVAL_KEY,
                  String.valueOf(PregelCheckpoints.DEFAULT_INTERVAL))
              .getOrCreate();
    }
    return session;
  }
}
