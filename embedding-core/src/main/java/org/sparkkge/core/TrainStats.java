package org.sparkkge.core;

/**
 * What a {@code ShardTrainer.train} call did.
 *
 * @param triplesTrained positive triples processed (shard size x epochs, less when maxSteps stops
 *     early)
 * @param steps optimizer steps
 * @param epochMeanLoss mean step loss of each epoch
 * @param firstStepLoss loss of the first step
 * @param lastStepLoss loss of the last step
 * @param touchedEntities ids of entity rows that received an update, ascending
 * @param touchCounts for each touched entity, the number of steps that updated its row
 * @param wallNanos wall time of the call
 * @param stepNanos time spent in steps (sampling, device work, updates), without table set-up and
 *     copy-back
 * @param phaseNanos of stepNanos: [host sampling, gather + forward, backward, optimizer update]
 * @param stepCpuNanos CPU time of the calling thread in steps; with train.threads = 1 libtorch
 *     computes on that thread, so this is the step cost free of other processes' load
 */
public record TrainStats(
    long triplesTrained,
    long steps,
    double[] epochMeanLoss,
    double firstStepLoss,
    double lastStepLoss,
    int[] touchedEntities,
    int[] touchCounts,
    long wallNanos,
    long stepNanos,
    long[] phaseNanos,
    long stepCpuNanos) {

  /** Triples per second of wall time, set-up included. */
  public double triplesPerSecond() {
    return wallNanos == 0 ? 0 : triplesTrained * 1e9 / wallNanos;
  }

  /** Mean CPU time of one step in milliseconds (meaningful with one libtorch thread). */
  public double meanStepCpuMillis() {
    return steps == 0 ? Double.NaN : stepCpuNanos / 1e6 / steps;
  }

  /** Mean time of one step in milliseconds. */
  public double meanStepMillis() {
    return steps == 0 ? Double.NaN : stepNanos / 1e6 / steps;
  }
}
