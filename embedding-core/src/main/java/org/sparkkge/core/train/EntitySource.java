package org.sparkkge.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.sparkkge.core.DenseTensor;

/**
 * Where a step's entity rows come from: a lookup table (shallow) or an encoder (NodePiece). Arrays
 * a method creates belong to the step's scope. Public for the NodePiece package; not an API for
 * other modules.
 */
public interface EntitySource {
  /**
   * Creates this step's gradient leaves for the given unique entities (before the collector opens).
   */
  void prepareLeaves(NDManager manager, int[] uniqueEntities, NDArray uniqueIds);

  /** Rows (U, dim) of the unique entities, computed from the leaves (grad mode on). */
  NDArray rows();

  /** Applies this step's gradients (after backward). */
  void update(NDArray uniqueIds, long step);

  /** Final entity table (empty when encoded), Adagrad accumulators, and encoder weights. */
  float[] entityValues();

  float[] entityAccumulators();

  List<DenseTensor> encoderWeights();
}
