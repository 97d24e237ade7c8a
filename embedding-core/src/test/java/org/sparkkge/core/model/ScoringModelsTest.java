package org.sparkkge.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ScoringModelsTest {
  private static float score(String model, float[] h, float[] r, float[] t) {
    try (NDManager m = NDManager.newBaseManager()) {
      return ScoringModels.byName(model).score(m.create(h), m.create(r), m.create(t)).getFloat();
    }
  }

  @Test
  void handComputedScores() {
    // ComplEx: Re((1+2i)(3+4i)conj(5+6i)) = Re((-5+10i)(5-6i)) = 35; layout [re..., im...]
    assertEquals(
        35f, score("complex", new float[] {1, 2}, new float[] {3, 4}, new float[] {5, 6}), 1e-5);
    assertEquals(
        63f, score("distmult", new float[] {1, 2}, new float[] {3, 4}, new float[] {5, 6}), 1e-5);
    // TransE: h + r - t = (-1, 0) -> |.|_1 = 1, |.|_2 = 1; (1,2)+(3,4)-(1,1) = (3,5)
    assertEquals(
        -1f, score("transe_l1", new float[] {1, 2}, new float[] {3, 4}, new float[] {5, 6}), 1e-5);
    assertEquals(
        -8f, score("transe_l1", new float[] {1, 2}, new float[] {3, 4}, new float[] {1, 1}), 1e-5);
    assertEquals(
        (float) -Math.sqrt(34),
        score("transe_l2", new float[] {1, 2}, new float[] {3, 4}, new float[] {1, 1}),
        1e-4);
    // RotatE: (1+2i) rotated by pi/2 = -2+i; minus (5+6i) = -7-5i; modulus sqrt(74)
    assertEquals(
        (float) -Math.sqrt(74),
        score(
            "rotate", new float[] {1, 2}, new float[] {(float) (Math.PI / 2)}, new float[] {5, 6}),
        1e-4);
  }

  @Test
  void candidateScoringMatchesPairwiseScoringInBothDirections() {
    Random random = new Random(3);
    int k = 2, c = 3, n = 5, d = 6;
    for (String name : ScoringModels.names()) {
      ScoringModel model = ScoringModels.byName(name);
      int rd = model.relationWidth(d);
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray h = m.create(randoms(random, k * c * d), new Shape(k, c, d));
        NDArray r = m.create(randoms(random, k * c * rd), new Shape(k, c, rd));
        NDArray t = m.create(randoms(random, k * c * d), new Shape(k, c, d));
        NDArray cand = m.create(randoms(random, k * n * d), new Shape(k, n, d));
        float[] tails = model.scoreTails(h, r, cand).toFloatArray();
        float[] heads = model.scoreHeads(r, t, cand).toFloatArray();
        // the shared-query forms give the same scores, and the true answer's as score /
        // headQueryScore
        NDArray[] tailsWithTrue = model.scoreTrueAndTails(h, r, t, cand);
        NDArray[] headsWithTrue = model.scoreTrueAndHeads(h, r, t, cand);
        assertArrayEquals(tails, tailsWithTrue[1].toFloatArray(), 1e-4f, name);
        assertArrayEquals(heads, headsWithTrue[1].toFloatArray(), 1e-4f, name);
        assertArrayEquals(
            model.score(h, r, t).toFloatArray(), tailsWithTrue[0].toFloatArray(), 1e-4f, name);
        assertArrayEquals(
            model.headQueryScore(h, r, t).toFloatArray(),
            headsWithTrue[0].toFloatArray(),
            1e-4f,
            name);
        // several candidate blocks: each block's scores as if it came alone
        NDArray[] tailsTwoBlocks = model.scoreTrueAndTails(h, r, t, cand, cand);
        NDArray[] headsTwoBlocks = model.scoreTrueAndHeads(h, r, t, cand, cand);
        assertEquals(3, tailsTwoBlocks.length, name);
        assertArrayEquals(tails, tailsTwoBlocks[2].toFloatArray(), 1e-4f, name);
        assertArrayEquals(heads, headsTwoBlocks[2].toFloatArray(), 1e-4f, name);
        for (int a = 0; a < k; a++) {
          for (int i = 0; i < c; i++) {
            for (int j = 0; j < n; j++) {
              NDArray hi = h.get(a).get(i), ri = r.get(a).get(i), ti = t.get(a).get(i);
              NDArray cj = cand.get(a).get(j);
              assertEquals(
                  model.score(hi, ri, cj).getFloat(),
                  tails[(a * c + i) * n + j],
                  1e-4,
                  name + " tail " + a + "," + i + "," + j);
              assertEquals(
                  model.headQueryScore(cj, ri, ti).getFloat(),
                  heads[(a * c + i) * n + j],
                  1e-4,
                  name + " head " + a + "," + i + "," + j);
            }
          }
        }
      }
    }
  }

  @Test
  void reciprocalModelsScoreHeadQueriesWithTheInverseHalfOfTheRelationRow() {
    // relation row [forward | inverse]: DistMult forward (3, 4), inverse (7, 8)
    float[] r = {3, 4, 7, 8};
    float[] h = {1, 2};
    float[] t = {5, 6};
    assertEquals(63f, score("distmult_reciprocal", h, r, t), 1e-5);
    try (NDManager m = NDManager.newBaseManager()) {
      ScoringModel model = ScoringModels.byName("complex_reciprocal");
      // ComplEx forward r = 3+4i, inverse r = 7+8i: head query of (h, r, t) = Re(t * r_inv *
      // conj(h))
      // = Re((5+6i)(7+8i)(1-2i)) = Re((-13+82i)(1-2i)) = -13 + 164 = 151
      assertEquals(35f, model.score(m.create(h), m.create(r), m.create(t)).getFloat(), 1e-5);
      assertEquals(
          151f, model.headQueryScore(m.create(h), m.create(r), m.create(t)).getFloat(), 1e-4);
      assertEquals(4, model.relationWidth(2));
    }
    assertEquals("complex", ScoringModels.baseName("complex_reciprocal"));
    assertEquals(true, ScoringModels.isComplex("rotate_reciprocal"));
  }

  @Test
  void unknownModelNamesAreRejected() {
    Set<String> base = Set.of("complex", "distmult", "rotate", "transe_l1", "transe_l2");
    Set<String> all = new TreeSet<>(base);
    for (String b : base) all.add(b + "_reciprocal");
    assertEquals(all, ScoringModels.names());
    assertThrows(IllegalArgumentException.class, () -> ScoringModels.byName("conve"));
  }

  private static float[] randoms(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = random.nextFloat() * 2 - 1;
    return v;
  }
}
