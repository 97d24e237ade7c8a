package org.sparkkge.core.train;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Test helper: hooks that record the number of live arrays of the trainer's manager after every
 * step.
 */
public final class TrainerProbe {
  private TrainerProbe() {}

  public static TrainHooks liveArrayCounts(List<Integer> counts) {
    return new TrainHooks() {
      @Override
      public void afterStep(NDManager manager) {
        counts.add(((BaseNDManager) manager).getManagedArrays().size());
      }
    };
  }
}
