package org.sparkkge.core.average;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.DenseTensor;

class ParameterAveragingTest {
  @Test
  void sharedParametersAreWeightedByTriplesTrained() {
    SharedSnapshot a =
        new SharedSnapshot(
            1,
            2,
            new float[] {1, 2},
            new float[] {4},
            List.of(new DenseTensor("w", new int[] {2}, new float[] {0, 10})),
            100);
    SharedSnapshot b =
        new SharedSnapshot(
            1,
            2,
            new float[] {5, -2},
            new float[] {8},
            List.of(new DenseTensor("w", new int[] {2}, new float[] {4, 2})),
            300);
    SharedSnapshot avg = ParameterAveraging.averageShared(List.of(a, b));
    // weights 1/4 and 3/4: (1*1 + 3*5)/4 = 4, (2 - 6)/4 = -1, (4 + 24)/4 = 7, w = (3, 4)
    assertArrayEquals(new float[] {4, -1}, avg.relations(), 1e-6f);
    assertArrayEquals(new float[] {7}, avg.relationAdagrad(), 1e-6f);
    assertArrayEquals(new float[] {3, 4}, avg.encoder().get(0).values(), 1e-6f);
    assertEquals(400, avg.triplesTrained());
  }

  @Test
  void invalidSnapshotsAreRejected() {
    SharedSnapshot idle = new SharedSnapshot(1, 1, new float[1], new float[1], List.of(), 0);
    assertThrows(
        IllegalArgumentException.class, () -> ParameterAveraging.averageShared(List.of(idle)));
  }
}
