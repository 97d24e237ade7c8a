package org.sparkkge.jobs.stage;

/**
 * One step of the pipeline. A new stage is one class implementing this interface plus one line in
 * {@link StageRegistry}; the CLI then offers {@code bin/spark-kge NAME} and {@code run} includes it.
 *
 * <p>A stage reads its settings from {@link StageContext#config()} and writes through
 * {@link StageContext#commitNewOutput} (the first stage only) or {@link StageContext#addDatasets}
 * (every later stage), which implement the output directory protocol of docs/outputs.md.
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

  /**
   * Checks the stage's settings before Spark starts, so a wrong setting fails in a second, not
   * after the session is up. Throws {@link org.sparkkge.jobs.UsageException}.
   */
  default void validate(com.typesafe.config.Config config) {}

  void run(StageContext context) throws Exception;
}
