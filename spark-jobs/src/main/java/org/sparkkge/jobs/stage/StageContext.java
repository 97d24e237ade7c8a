package org.sparkkge.jobs.stage;

import com.typesafe.config.Config;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.io.RunInfo;
import org.sparkkge.jobs.io.StageMarker;
import org.sparkkge.jobs.io.StagingWriter;
import org.sparkkge.jobs.progress.ProgressReporter;

/** Everything a stage needs: Spark, the effective configuration, the output directory, progress. */
public final class StageContext {
  private final String stage;
  private final SparkSession spark;
  private final Config config;
  private final OutputDirectory output;
  private final boolean overwrite;
  private final ProgressReporter progress;
  private final PrintStream out;
  private final RunInfo runInfo;
  private final List<String> produces;
  private final Instant started = Instant.now();

  public StageContext(
      String stage,
      SparkSession spark,
      Config config,
      OutputDirectory output,
      boolean overwrite,
      ProgressReporter progress,
      PrintStream out,
      List<String> produces) {
    this.stage = stage;
    this.spark = spark;
    this.config = config;
    this.output = output;
    this.overwrite = overwrite;
    this.progress = progress;
    this.out = out;
    this.runInfo = RunInfo.of(config, spark.version());
    this.produces = List.copyOf(produces);
  }

  public String stage() {
    return stage;
  }

  public SparkSession spark() {
    return spark;
  }

  /** The effective configuration (unmasked: secrets are usable here, never print it). */
  public Config config() {
    return config;
  }

  public OutputDirectory output() {
    return output;
  }

  public boolean overwrite() {
    return overwrite;
  }

  public ProgressReporter progress() {
    return progress;
  }

  /** Where a stage prints its human-readable summary. */
  public PrintStream out() {
    return out;
  }

  public Instant started() {
    return started;
  }

  /**
   * First stage only: creates the output directory atomically (refused if non-empty without
   * --overwrite).
   */
  public StageMarker commitNewOutput(StagingWriter writer) throws Exception {
    return output.commitNewDirectory(stage, started, runInfo, overwrite, writer);
  }

  /**
   * Later stages: adds {@code datasets} (paths relative to the output directory) atomically, and
   * deletes what the stage {@linkplain Stage#produces produces} but this run does not write: an
   * earlier run's copies (export's new_entity_embeddings after a run without export.new-triples)
   * would otherwise stay beside the new datasets as if they belonged to them.
   */
  public StageMarker addDatasets(List<String> datasets, StagingWriter writer) throws Exception {
    List<String> stale = produces.stream().filter(d -> !datasets.contains(d)).toList();
    return output.addDatasets(stage, started, runInfo, datasets, stale, writer);
  }

  /** Location of a dataset inside the output directory, for Spark readers and writers. */
  public String dataset(String relative) {
    return output.resolve(relative).toString();
  }
}
