package org.sparkkge.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.TrainConfig;

class LossesTest {
  @Test
  void oneVsAllIsTheWeightedCrossEntropyOverEveryCandidate() {
    // two positives over three candidates; the second positive is padding (weight 0)
    float[] scores = {1f, 2f, 3f, 50f, -50f, 0f};
    float[] positive = {2f, 50f};
    double expected = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 2; // padding ignored
    try (NDManager m = NDManager.newBaseManager()) {
      float loss =
          Losses.oneVsAll(
                  m.create(positive, new Shape(1, 2)),
                  m.create(scores, new Shape(1, 2, 3)),
                  m.create(new float[] {1f, 0f}, new Shape(1, 2)))
              .getFloat();
      assertEquals(expected, loss, 1e-5);
      // large scores stay finite (max-shifted logsumexp)
      float big =
          Losses.oneVsAll(
                  m.create(new float[] {1000f}, new Shape(1, 1)),
                  m.create(new float[] {1000f, 999f}, new Shape(1, 1, 2)),
                  m.ones(new Shape(1, 1)))
              .getFloat();
      assertEquals(Math.log(1 + Math.exp(-1)), big, 1e-4);
    }
  }

  @Test
  void softmaxMarginRaisesEveryNegativeScoreBeforeTheSoftmax() {
    // one chunk, two positives, two shared negatives each; the second positive is padding (weight
    // 0)
    float[] positive = {2f, 7f};
    float[] negatives = {1f, 3f, 0f, 0f};
    float margin = 2.5f;
    double plain = -Math.log(Math.exp(2) / (Math.exp(2) + Math.exp(1) + Math.exp(3)));
    double withMargin =
        -Math.log(Math.exp(2) / (Math.exp(2) + Math.exp(1 + margin) + Math.exp(3 + margin)));
    try (NDManager m = NDManager.newBaseManager()) {
      for (float value : new float[] {0f, margin}) {
        TrainConfig config = TrainConfig.builder().softmaxMargin(value).build();
        float loss =
            Losses.loss(
                    config,
                    m.create(positive, new Shape(1, 2)),
                    m.create(negatives, new Shape(1, 2, 2)),
                    m.create(new float[] {1f, 0f}, new Shape(1, 2)))
                .getFloat();
        assertEquals(value == 0f ? plain : withMargin, loss, 1e-5);
      }
    }
  }
}
