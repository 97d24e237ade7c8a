package org.sparkkge.core.train;

/**
 * Training stopped on a non-finite loss. A deterministic outcome of the inputs, not a fault:
 * callers (a Spark task) report it instead of letting the task fail and be retried.
 */
public final class TrainingDivergedException extends IllegalStateException {
  public TrainingDivergedException(String message) {
    super(message);
  }
}
