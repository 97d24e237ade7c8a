package org.sparkkge.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TripleArrays;

/** The masks of a step against a brute-force check of every (positive, candidate) pair. */
class StepBatchTest {
  /**
   * Few entities, so that accidental hits are frequent; 23 positives in 3 chunks of 8 leave a
   * padded last chunk.
   */
  static final int ENTITIES = 7;

  static TripleArrays graph() {
    Random random = new Random(5);
    int n = 23;
    int[] h = new int[n];
    int[] r = new int[n];
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      h[i] = random.nextInt(ENTITIES);
      r[i] = random.nextInt(3);
      t[i] = random.nextInt(ENTITIES);
    }
    return new TripleArrays(h, r, t);
  }

  static StepBatch prepare(TrainConfig config) {
    TripleArrays shard = graph();
    int[] order = new int[shard.size()];
    for (int i = 0; i < order.length; i++) order[i] = i;
    int[] entityLocal = new int[ENTITIES];
    Arrays.fill(entityLocal, -1);
    int[] relationLocal = new int[3];
    Arrays.fill(relationLocal, -1);
    StepBatch b =
        StepBatch.prepare(
            shard,
            order,
            0,
            shard.size(),
            config,
            ENTITIES,
            new Random(9),
            entityLocal,
            relationLocal);
    assertTrue(Arrays.stream(entityLocal).allMatch(v -> v == -1), "entity scratch restored");
    return b;
  }

  static TrainConfig.Builder config() {
    return TrainConfig.builder().batchSize(30).chunkSize(10).negatives(6).batchNegatives(4);
  }

  @Test
  void removingAccidentalHitsMasksExactlyTheCandidatesEqualToTheAnswer() {
    for (String sampler : new String[] {"chunked", "uniform"}) {
      StepBatch b = prepare(config().sampler(sampler).removeAccidentalHits(true).build());
      int m = b.uniformNegatives + b.batchNegatives;
      TreeSet<Long> tail = new TreeSet<>();
      TreeSet<Long> head = new TreeSet<>();
      for (int p = 0; p < b.realPositives; p++) {
        int chunk = p / b.chunkSize;
        for (int j = 0; j < m; j++) {
          boolean uniform = j < b.uniformNegatives;
          int u = chunk * b.uniformNegatives + j;
          int bn = chunk * b.batchNegatives + j - b.uniformNegatives;
          int tailCandidate = uniform ? b.negativeLocal[u] : b.batchTailLocal[bn];
          int headCandidate = uniform ? b.negativeLocal[u] : b.batchHeadLocal[bn];
          if (tailCandidate == b.tailLocal[p]) tail.add((long) p * m + j);
          if (headCandidate == b.headLocal[p]) head.add((long) p * m + j);
        }
      }
      assertTrue(
          tail.size() > 10 && head.size() > 10,
          sampler + ": the check needs hits, got " + tail.size());
      assertArrayEquals(
          tail.stream().mapToLong(Long::longValue).toArray(), sorted(b.tailMasked), sampler);
      assertArrayEquals(
          head.stream().mapToLong(Long::longValue).toArray(), sorted(b.headMasked), sampler);
    }
  }

  @Test
  void withoutHitRemovalOnlyBatchNegativesFromTheOwnTripleAreMasked() {
    StepBatch b = prepare(config().batchNegatives(8).removeAccidentalHits(false).build());
    int m = b.uniformNegatives + b.batchNegatives;
    // batch negatives fewer than the chunk: drawn from the whole batch, so only some come from the
    // positive itself
    TreeSet<Long> expected = new TreeSet<>();
    for (int p = 0; p < b.realPositives; p++) {
      int chunk = p / b.chunkSize;
      for (int j = 0; j < b.batchNegatives; j++) {
        if (b.batchSource[chunk * b.batchNegatives + j] == p) {
          expected.add((long) p * m + b.uniformNegatives + j);
        }
      }
    }
    assertTrue(expected.size() > 3, "the check needs own-triple slots, got " + expected.size());
    assertArrayEquals(expected.stream().mapToLong(Long::longValue).toArray(), sorted(b.tailMasked));
    assertArrayEquals(b.tailMasked, b.headMasked);

    // chunk-own batch negatives (batch negatives == chunk size): positive i of a chunk is its batch
    // negative i
    StepBatch own = prepare(config().batchNegatives(10).removeAccidentalHits(false).build());
    int mo = own.uniformNegatives + own.batchNegatives;
    long[] diagonal = new long[own.realPositives];
    for (int p = 0; p < diagonal.length; p++) {
      diagonal[p] = (long) p * mo + own.uniformNegatives + p % own.chunkSize;
    }
    long[] masked = sorted(own.tailMasked);
    assertArrayEquals(diagonal, masked);
  }

  private static long[] sorted(long[] values) {
    long[] copy = values.clone();
    Arrays.sort(copy);
    return copy;
  }

  /**
   * Each positive's loss weight is its triple's weight, taken through the step's order; padding
   * weighs 0.
   */
  @Test
  void tripleWeightsFollowTheirTriplesThroughTheOrderAndPaddingWeighsNothing() {
    TripleArrays shard = graph();
    float[] weights = new float[shard.size()];
    for (int i = 0; i < weights.length; i++) weights[i] = 0.5f + i;
    int[] order = new int[shard.size()];
    for (int i = 0; i < order.length; i++) order[i] = order.length - 1 - i;
    int[] entityLocal = new int[ENTITIES];
    Arrays.fill(entityLocal, -1);
    int[] relationLocal = new int[3];
    Arrays.fill(relationLocal, -1);
    StepBatch b =
        StepBatch.prepare(
            shard,
            weights,
            order,
            3,
            15,
            config().build(),
            ENTITIES,
            new Random(9),
            entityLocal,
            relationLocal);
    // 15 positives need two chunks of at most 10: two of 8, one padding positive, not five
    assertEquals(2, b.chunks);
    assertEquals(8, b.chunkSize);
    assertEquals(16, b.weights.length);
    for (int i = 0; i < 15; i++) assertEquals(weights[order[3 + i]], b.weights[i], "positive " + i);
    assertEquals(0f, b.weights[15], "padding");
  }
}
