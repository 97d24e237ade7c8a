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
              // One JVM runs hundreds of distinct queries: with Spark's 100 cached generated
              // classes they were compiled again and again; and the status store (kept with the UI
              // off) sorted its 1,000 retained jobs and stages at every clean-up. Each cost about a
              // tenth of the suite's CPU time (README, "Tests").
              .config("spark.sql.codegen.cache.maxEntries", "5000")
              .config("spark.ui.retainedJobs", "50")
              .config("spark.ui.retainedStages", "50")
              .config("spark.ui.retainedTasks", "1000")
              .config("spark.sql.ui.retainedExecutions", "50")
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
