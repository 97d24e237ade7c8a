package org.sparkkge.partitioner;

import org.apache.spark.sql.SparkSession;

/** The one SparkSession shared by every test in this JVM (creating one costs seconds). */
final class TestSpark {
    private static SparkSession session;

    private TestSpark() {}

    static synchronized SparkSession get() {
        if (session == null) {
            session = SparkSession.builder()
                    .master("local[2]")
                    .appName("partitioner-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.default.parallelism", "4")
                    .config("spark.sql.adaptive.enabled", "false")
                    .config(PregelCheckpoints.INTERVAL_KEY, String.valueOf(PregelCheckpoints.DEFAULT_INTERVAL))
                    .getOrCreate();
            // Pregel programs checkpoint as they do in the pipeline (which points this at the stage's
            // temporary output); without it their lineage, and each superstep's planning, keeps growing.
            try {
                java.nio.file.Path checkpoints = java.nio.file.Files.createTempDirectory("partitioner-checkpoints");
                checkpoints.toFile().deleteOnExit();
                session.sparkContext().setCheckpointDir(checkpoints.toString());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return session;
    }
}
