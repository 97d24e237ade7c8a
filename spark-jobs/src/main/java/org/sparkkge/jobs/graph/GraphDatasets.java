package org.sparkkge.jobs.graph;

import java.util.Locale;
import java.util.function.Supplier;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.partitioner.PregelCheckpoints;

/**
 * What the graph stages (reduce, tokenize, partition) share: Parquet reading and writing, Pregel
 * checkpoints.
 */
final class GraphDatasets {

  private GraphDatasets() {}

  static Dataset<Row> read(StageContext context, String dataset) {
    return context.spark().read().parquet(context.output().resolve(dataset).toString());
  }

  /**
   * Writes {@code data} as Parquet with the configured codec and reads it back (cuts the lineage).
   */
  static Dataset<Row> writeAndReread(StageContext context, Dataset<Row> data, Path target) {
    data.write().option("compression", compression(context)).parquet(target.toString());
    return context.spark().read().parquet(target.toString());
  }

  /**
   * Runs a graph program with its Pregel checkpoints under {@code staging}/_checkpoints, which the
   * stage's commit removes with the rest of the staging directory.
   */
  static <T> T withPregelCheckpoints(StageContext context, Path staging, Supplier<T> program) {
    return PregelCheckpoints.under(
        context.spark(), new Path(staging, "_checkpoints").toString(), program);
  }

  static String compression(StageContext context) {
    return context.config().getString("output.compression").toLowerCase(Locale.ROOT);
  }

  /** A share rounded to 6 decimals, so stats.json stays readable. */
  static double share(long part, long whole) {
    return whole == 0 ? 0.0 : Math.round(1e6 * part / (double) whole) / 1e6;
  }

  static double round6(double value) {
    return Math.round(value * 1e6) / 1e6;
  }
}
