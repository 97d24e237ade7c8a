package org.sparkkge.partitioner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** The one SparkSession shared by every test in this JVM (creating one costs seconds). */
final class TestSpark {
  private static SparkSession session;

  private TestSpark() {}

  static synchronized SparkSession get() {
    if (session == null) {
      session =
          SparkSession.builder()
              .master("local[2]")
              .appName("partitioner-tests")
              .config("spark.ui.enabled", "false")
              .config("spark.sql.shuffle.partitions", "4")
              .config("spark.default.parallelism", "4")
              .config("spark.sql.adaptive.enabled", "false")
              .config(PregelCheckpoints.INTERVAL_KEY, "20")
              .getOrCreate();
      // Pregel programs checkpoint as in the pipeline (which points this at the stage's temporary
      // output), less often (the default is 10): without checkpoints their lineage, and each
      // superstep's planning, keeps growing; every checkpoint costs a write of the graph.
      try {
        Path checkpoints = Files.createTempDirectory("partitioner-checkpoints");
        checkpoints.toFile().deleteOnExit();
        session.sparkContext().setCheckpointDir(checkpoints.toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return session;
  }
}
