package org.sparkkge.partitioner;

import java.util.function.Supplier;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * Reliable checkpoints for the Pregel programs (k-core, periphery BFS, PageRank, anchor BFS).
 * GraphX's Pregel checkpoints the graph and its messages every {@value #INTERVAL_KEY} supersteps
 * into the context's checkpoint directory, so losing an executor costs at most that many supersteps
 * of recomputation instead of failing the job (a local checkpoint would be lost with the executor).
 */
public final class PregelCheckpoints {
  /** Spark setting GraphX's Pregel reads from the context's configuration (default -1: never). */
  public static final String INTERVAL_KEY = "spark.graphx.pregel.checkpointInterval";

  /** The interval spark-kge's sessions get unless the user sets one. */
  public static final int DEFAULT_INTERVAL = 10;

  private PregelCheckpoints() {}

  /**
   * Runs {@code work} with the context's checkpoint directory set to {@code directory}, then
   * restores the previous one, so a stage's checkpoints land under its own temporary output
   * (removed with it on commit) and no later job writes into a directory a commit has already
   * removed. Spark has no public way to unset the directory; {@code checkpointDir_$eq} is the field
   * setter behind {@code setCheckpointDir}. The programs compute their results before returning, so
   * every checkpoint they need is written inside {@code work}.
   */
  public static <T> T under(SparkSession spark, String directory, Supplier<T> work) {
    SparkContext context = spark.sparkContext();
    Option<String> previous = context.getCheckpointDir();
    context.setCheckpointDir(directory);
    try {
      return work.get();
    } finally {
      context.checkpointDir_$eq(previous);
    }
  }
}
