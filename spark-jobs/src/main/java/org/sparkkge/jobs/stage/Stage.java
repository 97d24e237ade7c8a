package org.sparkkge.jobs.stage;

import com.typesafe.config.Config;
import java.util.List;

/**
 * One step of the pipeline. A new stage is one class implementing this interface plus one line in
 * the CLI's {@code StageRegistry}; the CLI then offers {@code bin/spark-kge NAME} and {@code run}
 * includes it.
 *
 * <p>A stage declares what it reads ({@link #requires}) and writes ({@link #produces}); before it
 * runs, {@link StagePreconditions} checks both once for every stage (missing inputs name the stage
 * to run first; a completed earlier run is replaced only with --overwrite). It reads its settings
 * from {@link StageContext#config()} and writes through {@link StageContext#commitNewOutput} (the
 * first stage only) or {@link StageContext#addDatasets} (every later stage), which implement the
 * output directory protocol of docs/outputs.md. Paths come from {@link
 * org.sparkkge.jobs.io.Layout}.
 */
public interface Stage {
  /** Subcommand name and marker name, e.g. "ingest". */
  String name();

  /** One line for --help. */
  String summary();

  /** True when the stage reads the input triples, so its command takes --train/--valid/--test. */
  default boolean readsInputs() {
    return false;
  }

  /** True for the first stage, which creates the output directory instead of adding to it. */
  default boolean createsOutput() {
    return false;
  }

  /** The datasets the stage reads under {@code config}; each must be there, its writer complete. */
  default List<Requirement> requires(Config config) {
    return List.of();
  }

  /**
   * The datasets the stage writes under {@code config} (paths relative to the output directory).
   */
  default List<String> produces(Config config) {
    return List.of();
  }

  /**
   * True when, under {@code config}, the stage continues its own earlier run (train --resume)
   * rather than replacing it, so a completed earlier run is no reason to refuse.
   */
  default boolean continuesEarlierRun(Config config) {
    return false;
  }

  /** What to add to the refusal when an earlier run exists, e.g. "or --resume to continue it". */
  default String rerunHint() {
    return "";
  }

  /**
   * Checks the stage's settings before Spark starts, so a wrong setting fails in a second, not
   * after the session is up. Throws {@link org.sparkkge.jobs.UsageException}.
   */
  default void validate(Config config) {}

  void run(StageContext context) throws Exception;
}
