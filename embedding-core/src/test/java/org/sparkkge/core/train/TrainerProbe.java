package org.sparkkge.core.train;

import ai.djl.ndarray.BaseNDManager;
import java.util.List;
import java.util.function.Supplier;

/** Test helper: records the number of live arrays of the trainer's manager after every step. */
public final class TrainerProbe {
    private TrainerProbe() {}

    public static <T> T withLiveArrayCounts(List<Integer> counts, Supplier<T> training) {
        ShardTrainer.afterStepObserver = m -> counts.add(((BaseNDManager) m).getManagedArrays().size());
        try {
            return training.get();
        } finally {
            ShardTrainer.afterStepObserver = null;
        }
    }
}
