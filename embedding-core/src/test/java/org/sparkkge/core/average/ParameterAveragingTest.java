package org.sparkkge.core.average;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.ModelParameters;

class ParameterAveragingTest {
    @Test
    void sharedParametersAreWeightedByTriplesTrained() {
        SharedSnapshot a = new SharedSnapshot(1, 2, new float[] {1, 2}, new float[] {4}, List.of(
                new DenseTensor("w", new int[] {2}, new float[] {0, 10})), 100);
        SharedSnapshot b = new SharedSnapshot(1, 2, new float[] {5, -2}, new float[] {8}, List.of(
                new DenseTensor("w", new int[] {2}, new float[] {4, 2})), 300);
        SharedSnapshot avg = ParameterAveraging.averageShared(List.of(a, b));
        // weights 1/4 and 3/4: (1*1 + 3*5)/4 = 4, (2 - 6)/4 = -1, (4 + 24)/4 = 7, w = (3, 4)
        assertArrayEquals(new float[] {4, -1}, avg.relations(), 1e-6f);
        assertArrayEquals(new float[] {7}, avg.relationAdagrad(), 1e-6f);
        assertArrayEquals(new float[] {3, 4}, avg.encoder().get(0).values(), 1e-6f);
        assertEquals(400, avg.triplesTrained());
    }

    @Test
    void entityRowsAreAveragedOnlyOverShardsThatTouchedThemByTouchCount() {
        // shard A touched rows 1 (3 times) and 4 (1 time); shard B touched rows 1 (1 time) and 2 (2 times)
        EntityRowsSnapshot a = new EntityRowsSnapshot(2, new int[] {1, 4}, new float[] {4, 8, 1, 1},
                new float[] {1, 2}, new int[] {3, 1});
        EntityRowsSnapshot b = new EntityRowsSnapshot(2, new int[] {1, 2}, new float[] {0, 4, 7, 9},
                new float[] {5, 3}, new int[] {1, 2});
        EntityRowsSnapshot avg = ParameterAveraging.averageEntityRows(List.of(a, b));
        assertArrayEquals(new int[] {1, 2, 4}, avg.rowIds());
        // row 1: (3*(4,8) + 1*(0,4)) / 4 = (3, 7); rows 2 and 4 only from the shard that touched them
        assertArrayEquals(new float[] {3, 7, 7, 9, 1, 1}, avg.values(), 1e-6f);
        assertArrayEquals(new float[] {2, 3, 2}, avg.adagrad(), 1e-6f);
        assertArrayEquals(new int[] {4, 2, 1}, avg.touchCounts());

        ModelParameters base = new ModelParameters("distmult", 5, 1, 2, 2, new float[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4},
                new float[] {9, 9}, new float[5], new float[1], List.of());
        SharedSnapshot shared = new SharedSnapshot(1, 2, new float[] {6, 6}, new float[] {1}, List.of(), 10);
        ModelParameters merged = ParameterAveraging.apply(base, shared, avg);
        assertArrayEquals(new float[] {0, 0, 3, 7, 7, 9, 3, 3, 1, 1}, merged.entities(), 1e-6f);
        assertArrayEquals(new float[] {0, 2, 3, 0, 2}, merged.entityAdagrad(), 1e-6f);
        assertArrayEquals(new float[] {6, 6}, merged.relations());
        assertArrayEquals(new float[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4}, base.entities(), "base is not modified");
    }

    @Test
    void invalidSnapshotsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new EntityRowsSnapshot(2, new int[] {2, 1},
                new float[4], new float[2], new int[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> new EntityRowsSnapshot(2, new int[] {1},
                new float[2], new float[1], new int[] {0}));
        SharedSnapshot idle = new SharedSnapshot(1, 1, new float[1], new float[1], List.of(), 0);
        assertThrows(IllegalArgumentException.class, () -> ParameterAveraging.averageShared(List.of(idle)));
    }
}
