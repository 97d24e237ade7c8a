package org.sparkkge.jobs.graph;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.HadoopPaths;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.partitioner.PregelCheckpoints;

/**
 * What the graph stages (reduce, tokenize, partition) share: checking that the datasets they read
 * exist (naming the stage that writes a missing one), refusing to replace their own datasets without
 * --overwrite, Parquet writing, and adding their section to DIR/stats.json.
 */
final class GraphDatasets {
  static final String STATS = "stats.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private GraphDatasets() {}

  /**
   * Fails unless {@code writerStage} completed in the output directory (its marker exists) and
   * {@code dataset} is there, with a message naming both and the command to run first.
   */
  static void require(StageContext context, String dataset, String writerStage) throws IOException {
    require(context, dataset, writerStage, "");
  }

  static void require(StageContext context, String dataset, String writerStage, String alternative)
      throws IOException {
    OutputDirectory output = context.output();
    if (output.isStageComplete(writerStage) && output.fileSystem().exists(output.resolve(dataset))) {
      return;
    }
    String dir = HadoopPaths.display(output.path());
    throw new PipelineException(
        String.format(
            Locale.ROOT,
            "%s: missing dataset %s in %s (written by the %s stage): run `spark-kge %s --output %s` first%s",
            context.stage(),
            dataset,
            dir,
            writerStage,
            writerStage,
            dir,
            alternative));
  }

  /** Refuses to replace the stage's datasets (or a completed run of it) unless --overwrite. */
  static void refuseExisting(StageContext context, List<String> datasets) throws IOException {
    if (context.overwrite()) {
      return;
    }
    OutputDirectory output = context.output();
    List<String> present = new ArrayList<>();
    for (String dataset : datasets) {
      if (output.fileSystem().exists(output.resolve(dataset))) {
        present.add(dataset);
      }
    }
    if (!present.isEmpty() || output.fileSystem().exists(output.stageMarkerPath(context.stage()))) {
      throw new PipelineException(
          String.format(
              Locale.ROOT,
              "%s: %s already holds %s from an earlier %s run (use --overwrite to replace %s)",
              context.stage(),
              HadoopPaths.display(output.path()),
              present.isEmpty() ? "the stage marker" : String.join(", ", present),
              context.stage(),
              present.size() == 1 ? "it" : "them"));
    }
  }

  static Dataset<Row> read(StageContext context, String dataset) {
    return context.spark().read().parquet(context.output().resolve(dataset).toString());
  }

  /** Writes {@code data} as Parquet with the configured codec and reads it back (cuts the lineage). */
  static Dataset<Row> writeAndReread(StageContext context, Dataset<Row> data, Path target) {
    data.write().option("compression", compression(context)).parquet(target.toString());
    return context.spark().read().parquet(target.toString());
  }

  /**
   * Runs a graph program with its Pregel checkpoints under {@code staging}/_checkpoints, which the
   * stage's commit removes with the rest of the staging directory.
   */
  static <T> T withPregelCheckpoints(StageContext context, Path staging, java.util.function.Supplier<T> program) {
    return PregelCheckpoints.under(context.spark(), new Path(staging, "_checkpoints").toString(), program);
  }

  static String compression(StageContext context) {
    return context.config().getString("output.compression").toLowerCase(Locale.ROOT);
  }

  /**
   * Sets the top-level {@code section} of DIR/stats.json: reads the file, replaces the section,
   * writes a temporary sibling and renames it over the old file, so readers never see half a file.
   */
  static void addStatsSection(OutputDirectory output, String section, Map<String, Object> values)
      throws IOException {
    FileSystem fs = output.fileSystem();
    Path stats = output.resolve(STATS);
    ObjectNode root;
    if (fs.exists(stats)) {
      try (InputStream in = fs.open(stats)) {
        root = (ObjectNode) JSON.readTree(in);
      }
    } else {
      root = JSON.createObjectNode();
    }
    root.set(section, JSON.valueToTree(values));
    Path temporary = output.resolve("." + STATS + ".tmp-" + UUID.randomUUID());
    try (OutputStream out = fs.create(temporary, true)) {
      out.write(JSON.writeValueAsBytes(root));
      out.write('\n');
    }
    if (fs.exists(stats) && !fs.delete(stats, false)) {
      throw new IOException("cannot replace " + stats);
    }
    if (!fs.rename(temporary, stats)) {
      throw new IOException("cannot rename " + temporary + " to " + stats);
    }
  }

  /** A share rounded to 6 decimals, so stats.json stays readable. */
  static double share(long part, long whole) {
    return whole == 0 ? 0.0 : Math.round(1e6 * part / (double) whole) / 1e6;
  }

  static double round6(double value) {
    return Math.round(value * 1e6) / 1e6;
  }
}
