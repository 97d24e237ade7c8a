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
                    .getOrCreate();
        }
        return session;
    }
}
