package org.sparkkge.core.train;

import ai.djl.ndarray.NDManager;

/**
 * Instrumentation of one training call, passed to {@link ShardTrainer}: tests watch native memory,
 * make two trainings meet mid-step, or pick a scoring path. {@link #NONE} does nothing.
 */
public interface TrainHooks {
  TrainHooks NONE = new TrainHooks() {};

  /** After every step, with the training's device manager. */
  default void afterStep(NDManager manager) {}

  /** In every step while the graph is being recorded. */
  default void insideAutograd() {}

  /**
   * True to score large chunks by concatenating scores, the path small chunks take, to compare
   * both.
   */
  default boolean concatenateScores() {
    return false;
  }
}
