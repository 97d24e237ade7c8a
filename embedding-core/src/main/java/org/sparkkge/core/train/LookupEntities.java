package org.sparkkge.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.List;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.ModelParameters;

/** Shallow entity embeddings: a row table with row-wise Adagrad. */
final class LookupEntities implements EntitySource {
  private final RowTable table;
  private final float lr;

  /** 1 per trainable row, 0 per frozen one; null = every row trainable. */
  private final NDArray trainable;

  private NDArray leaf;

  LookupEntities(NDManager manager, ModelParameters start, float lr) {
    this(manager, start, lr, null);
  }

  /** Only the rows with {@code trainable[id]} change (null = all of them). */
  LookupEntities(NDManager manager, ModelParameters start, float lr, boolean[] trainable) {
    this.table =
        new RowTable(
            manager, start.entities(), start.entityAdagrad(), start.numEntities(), start.dim());
    this.lr = lr;
    if (trainable == null) {
      this.trainable = null;
    } else {
      if (trainable.length != start.numEntities()) {
        throw new IllegalArgumentException(
            "trainable mask has "
                + trainable.length
                + " entries for "
                + start.numEntities()
                + " entities");
      }
      float[] mask = new float[trainable.length];
      for (int i = 0; i < mask.length; i++) mask[i] = trainable[i] ? 1f : 0f;
      this.trainable = manager.create(mask);
    }
  }

  @Override
  public void prepareLeaves(NDManager manager, int[] uniqueEntities, NDArray uniqueIds) {
    leaf = table.gatherLeaf(uniqueIds);
  }

  @Override
  public NDArray rows() {
    return leaf;
  }

  @Override
  public void update(NDArray uniqueIds, long step) {
    table.applyAdagrad(
        uniqueIds, lr, trainable == null ? null : trainable.get(new NDIndex("{}", uniqueIds)));
    leaf = null;
  }

  @Override
  public float[] entityValues() {
    return table.values();
  }

  @Override
  public float[] entityAccumulators() {
    return table.accumulators();
  }

  @Override
  public List<DenseTensor> encoderWeights() {
    return List.of();
  }
}
