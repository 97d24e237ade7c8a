package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.List;

/**
 * What a training task returns: exactly one {@link Summary} per shard (shared parameters and what the
 * shard did) and one {@link TouchedRow} per entity row it updated (shallow mode).
 */
public sealed interface ShardOutput extends Serializable {

  /**
   * @param diverged null, or why the shard's training diverged (the driver stops the run with it)
   */
  record Summary(int shard, long triplesTrained, long steps, int entities, int touched, double meanLoss,
      double lastLoss, long wallNanos, float[] relations, float[] relationAdagrad, List<TensorData> encoder,
      String diverged) implements ShardOutput {}

  record TouchedRow(int id, int shard, float[] values, float adagrad, int touchCount) implements ShardOutput {}
}
