package org.sparkkge.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * An embedding table on the device with row-wise Adagrad (one accumulator per row, as in
 * PyTorch-BigGraph). A step gathers only the rows it touches into a small leaf, and writes only
 * those rows back: step cost does not depend on the number of rows.
 */
final class RowTable {
  private static final float EPS = 1e-10f;
  private final NDArray table;
  private final NDArray accumulator;
  private final int width;
  private NDArray leaf;

  RowTable(NDManager manager, float[] values, float[] accumulators, int rows, int width) {
    this.width = width;
    this.table = manager.create(values, new Shape(rows, width));
    this.accumulator =
        manager.create(accumulators.length == 0 ? new float[rows] : accumulators, new Shape(rows));
  }

  /**
   * Copies the given rows into a fresh leaf that collects gradients (closed with the caller's
   * scope).
   */
  NDArray gatherLeaf(NDArray rowIds) {
    leaf = table.get(new NDIndex("{}", rowIds));
    leaf.setRequiresGradient(true);
    return leaf;
  }

  /**
   * Row-wise Adagrad on the gathered rows: acc += mean(g^2); row -= lr * g / sqrt(acc). Scatters
   * back.
   */
  void applyAdagrad(NDArray rowIds, float lr) {
    applyAdagrad(rowIds, lr, null);
  }

  /**
   * The same, with each gathered row's gradient times {@code rowMask} (1 = trainable, 0 = frozen:
   * such a row and its accumulator keep their values exactly); null = every row trainable.
   */
  void applyAdagrad(NDArray rowIds, float lr, NDArray rowMask) {
    NDArray grad =
        rowMask == null ? leaf.getGradient() : leaf.getGradient().mul(rowMask.expandDims(1));
    NDIndex rows = new NDIndex("{}", rowIds);
    NDArray acc = accumulator.get(rows).add(grad.square().mean(new int[] {1}));
    accumulator.set(rows, acc);
    NDArray step = grad.mul(lr).div(acc.sqrt().add(EPS).expandDims(1));
    table.set(rows, leaf.sub(step));
    leaf = null;
  }

  float[] values() {
    return table.toFloatArray();
  }

  float[] accumulators() {
    return accumulator.toFloatArray();
  }

  int width() {
    return width;
  }
}
