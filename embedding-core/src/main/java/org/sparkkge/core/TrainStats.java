package org.sparkkge.core;

/**
 * What a {@code ShardTrainer.train} call did.
 *
 * @param triplesTrained positive triples processed (shard size x epochs, less when maxSteps stops early)
 * @param steps optimizer steps
 * @param epochMeanLoss mean step loss of each epoch
 * @param firstStepLoss loss of the first step
 * @param lastStepLoss loss of the last step
 * @param touchedEntities ids of entity rows that received an update, ascending
 * @param touchCounts for each touched entity, the number of steps that updated its row
 * @param wallNanos wall time of the call
 * @param stepNanos time spent in steps (sampling, device work, updates), without table set-up and copy-back
 * @param phaseNanos of stepNanos: [host sampling, gather + forward, backward, optimizer update]
 */
public record TrainStats(long triplesTrained, long steps, double[] epochMeanLoss, double firstStepLoss,
        double lastStepLoss, int[] touchedEntities, int[] touchCounts, long wallNanos, long stepNanos,
        long[] phaseNanos) {

    /** Triples per second of wall time, set-up included. */
    public double triplesPerSecond() {
        return wallNanos == 0 ? 0 : triplesTrained * 1e9 / wallNanos;
    }

    /** Mean time of one step in milliseconds. */
    public double meanStepMillis() {
        return steps == 0 ? Double.NaN : stepNanos / 1e6 / steps;
    }
}
