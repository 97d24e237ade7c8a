package org.sparkkge.jobs.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** An added entity's encoded vector turned toward the periphery rule's estimate. */
class TowardEstimateTest {
  @Test
  void theDirectionIsBetweenTheTwoAndTheLengthTheEncodedOnes() {
    float s = (float) (3 / Math.sqrt(2));
    // (3, 0) and any estimate along (0, 1): halfway, at length 3 whatever the estimate's length
    assertArrayEquals(
        new float[] {s, s},
        NodePieceExport.towardEstimate(new float[] {3, 0}, new float[] {0, 7}),
        1e-6f);
    assertArrayEquals(
        new float[] {s, s},
        NodePieceExport.towardEstimate(new float[] {3, 0}, new float[] {0, 0.01f}),
        1e-6f);
    // the same direction: unchanged
    assertArrayEquals(
        new float[] {0, 2},
        NodePieceExport.towardEstimate(new float[] {0, 2}, new float[] {0, 5}),
        1e-6f);
  }

  @Test
  void withoutADirectionTheEncodedVectorStays() {
    float[] encoded = {1, 2};
    assertSame(encoded, NodePieceExport.towardEstimate(encoded, new float[] {0, 0}));
    assertSame(encoded, NodePieceExport.towardEstimate(encoded, new float[] {-1, -2}));
    float[] zero = {0, 0};
    assertSame(zero, NodePieceExport.towardEstimate(zero, new float[] {1, 0}));
  }
}
