package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stratified schedule's merge of the shared relations after a sub-round. */
class RelationMergeTest {

  private static ShardOutput.Summary summary(
      int shard, long triples, float[] relations, float[] adagrad) {
    return new ShardOutput.Summary(
        shard, triples, 1, 4, 4, 1.0, 1.0, 1, relations, adagrad, List.of(), null, "cpu()", null);
  }

  @Test
  void aRowOneTaskTouchedKeepsItsChangeAndSharedRowsAreScaledByTheirShareOfTheAccumulator() {
    // 2 relations x dim 2, accumulators 0.5 before the sub-round
    SharedParams current =
        new SharedParams(2, 2, new float[] {1, 1, 1, 1}, new float[] {0.5f, 0.5f}, List.of());
    // task 0 alone trained relation 0: its change stays whole
    ShardOutput.Summary first =
        summary(0, 10, new float[] {1.5f, 0.75f, 1, 1}, new float[] {1.5f, 0.5f});
    // tasks 1 and 2 both trained relation 1 (increments 0.25 and 1.0, merged accumulator 1.75)
    ShardOutput.Summary second =
        summary(1, 30, new float[] {1, 1, 2, 1.25f}, new float[] {0.5f, 0.75f});
    ShardOutput.Summary third =
        summary(2, 5, new float[] {1, 1, 1, 1.5f}, new float[] {0.5f, 1.5f});
    // a task that trained nothing returns what it received, or anything: it must not count
    ShardOutput.Summary idle = summary(3, 0, new float[] {9, 9, 9, 9}, new float[] {9, 9});

    SharedParams merged = StratifiedRounds.merge(current, List.of(first, second, third, idle));

    double secondScale = Math.sqrt(0.75 / 1.75);
    double thirdScale = Math.sqrt(1.5 / 1.75);
    assertArrayEquals(
        new float[] {
          1.5f,
          0.75f,
          (float) (1 + secondScale),
          (float) (1 + 0.25 * secondScale + 0.5 * thirdScale)
        },
        merged.relations(),
        1e-6f);
    assertArrayEquals(new float[] {1.5f, 1.75f}, merged.relationAdagrad());
    assertArrayEquals(new float[] {1, 1, 1, 1}, current.relations(), "the input is not modified");
  }

  /**
   * k tasks that each take n row-wise Adagrad steps along the same gradient from a fresh row (what
   * every task of a sub-round does to a frequent relation early in training) merge to within 5 % of
   * the displacement of one sequential pass of k x n steps; the plain sum of their changes is about
   * sqrt(k) times too far.
   */
  @Test
  void tasksPushingAFreshRowTheSameWayMoveItAsOneSequentialPassWould() {
    int k = 8;
    int n = 200;
    float lr = 0.1f;
    double sequential = adagradDisplacement(lr, k * n);
    double oneTask = adagradDisplacement(lr, n);
    SharedParams current = new SharedParams(1, 1, new float[] {0}, new float[] {0}, List.of());
    List<ShardOutput.Summary> tasks = new ArrayList<>();
    for (int t = 0; t < k; t++) {
      tasks.add(summary(t, n, new float[] {(float) oneTask}, new float[] {n}));
    }
    double merged = StratifiedRounds.merge(current, tasks).relations()[0];
    assertEquals(
        sequential, merged, 0.05 * sequential, "merged " + merged + ", sequential " + sequential);
    assertTrue(k * oneTask > 2.5 * sequential, "the plain sum would overshoot: " + k * oneTask);
    assertEquals(k * n, StratifiedRounds.merge(current, tasks).relationAdagrad()[0], 1e-3);
  }

  /**
   * One coordinate under row-wise Adagrad with gradient 1 at every step: lr * sum of 1 / sqrt(i).
   */
  private static double adagradDisplacement(float lr, int steps) {
    double x = 0;
    double accumulator = 0;
    for (int i = 0; i < steps; i++) {
      accumulator += 1;
      x += lr / Math.sqrt(accumulator);
    }
    return x;
  }

  @Test
  void aSubRoundWhereNoTaskTrainedKeepsTheParameters() {
    SharedParams current = new SharedParams(1, 2, new float[] {1, 2}, new float[] {3}, List.of());
    assertSame(
        current,
        StratifiedRounds.merge(
            current, List.of(summary(0, 0, new float[] {5, 5}, new float[] {5}))));
  }
}
