package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.List;

/**
 * What a training task returns: exactly one {@link Summary} (shared parameters and what the task
 * did); in shallow mode also its two trained {@link Block}s, the {@link PoolDelta}s it sends to
 * other partitions and the {@link PoolSample}s of its blocks (stratified schedule).
 */
public sealed interface ShardOutput extends Serializable {

  /**
   * @param diverged null, or why the shard's training diverged (the driver stops the run with it)
   * @param device the DJL device the task trained on, e.g. "cpu()" or "gpu(1)"
   * @param deviceFailure null, or why the task could not use the device Spark gave it (it then did
   *     no work; the driver stops the run with it, {@link ShardTask#requireUsableDevices})
   */
  record Summary(
      int shard,
      long triplesTrained,
      long steps,
      int entities,
      int touched,
      double meanLoss,
      double lastLoss,
      long wallNanos,
      float[] relations,
      float[] relationAdagrad,
      List<TensorData> encoder,
      String diverged,
      String device,
      String deviceFailure)
      implements ShardOutput {}

  /** The trained rows of one entity partition (stratified schedule). */
  record Block(EntityBlock block) implements ShardOutput {}

  /** A sample of one partition's trained rows for the next sub-round's negative pool. */
  record PoolSample(int partition, NegativePool rows) implements ShardOutput {}

  /**
   * What task {@code shard} changed in the pool rows of one partition it does not own: row i of
   * {@code ids} moved by {@code values[i * dim ..]} and its accumulator by {@code adagrad[i]}, from
   * the accumulator {@code startAdagrad[i]} the task received with the pool.
   */
  record PoolDelta(
      int partition, int shard, int[] ids, float[] values, float[] adagrad, float[] startAdagrad)
      implements ShardOutput {
    @java.io.Serial
    private Object writeReplace() {
      return new BulkArrays.PoolDeltaForm(this);
    }
  }
}
