package org.sparkkge.core;

/** Parameters after training a shard, and what the training did. */
public record TrainResult(ModelParameters params, TrainStats stats) {}
