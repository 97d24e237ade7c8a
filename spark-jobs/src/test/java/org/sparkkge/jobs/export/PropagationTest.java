package org.sparkkge.jobs.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * A relation-aware estimate is the model's own best answer: for TransE and RotatE (plain and
 * reciprocal) the estimated tail makes the tail query (h, r, ?) score its maximum 0, and the
 * estimated head makes the head query (?, r, t) score 0, as embedding-core's models compute them;
 * for DistMult and ComplEx the estimate is the unit vector that scores highest, and an entity with
 * several edges gets the direction that maximises their summed score, at the trained rows' mean
 * norm.
 */
class PropagationTest {
  @Test
  void estimatesScorePerfectlyInTheirQueryDirection() {
    Random random = new Random(11);
    int dim = 8;
    int relations = 3;
    for (String name :
        new String[] {
          "transe_l1",
          "transe_l2",
          "rotate",
          "transe_l1_reciprocal",
          "transe_l2_reciprocal",
          "rotate_reciprocal"
        }) {
      ScoringModel model = ScoringModels.byName(name);
      int width = model.relationWidth(dim);
      float[] table = uniform(random, relations * width);
      Propagation propagation = new Propagation(name, dim, width, table, 1.0);
      float[] known = uniform(random, dim);
      int relation = 2;
      float[] row = Arrays.copyOfRange(table, relation * width, (relation + 1) * width);
      float[] tail = propagation.estimate(known, relation, true);
      float[] head = propagation.estimate(known, relation, false);
      try (NDManager m = NDManager.newBaseManager()) {
        assertEquals(
            0f,
            model.score(m.create(known), m.create(row), m.create(tail)).getFloat(),
            1e-3f,
            name + ": (known, r, estimated tail)");
        assertEquals(
            0f,
            model.headQueryScore(m.create(head), m.create(row), m.create(known)).getFloat(),
            1e-3f,
            name + ": (estimated head, r, known)");
      }
    }
  }

  @Test
  void bilinearEstimatesAreTheUnitVectorsThatScoreHighestInTheirQueryDirection() {
    Random random = new Random(5);
    int dim = 8;
    for (String name :
        new String[] {"distmult", "complex", "distmult_reciprocal", "complex_reciprocal"}) {
      ScoringModel model = ScoringModels.byName(name);
      int width = model.relationWidth(dim);
      float[] table = uniform(random, 3 * width);
      Propagation propagation = new Propagation(name, dim, width, table, 2.5);
      float[] known = uniform(random, dim);
      float[] row = Arrays.copyOfRange(table, width, 2 * width);
      float[] tail = propagation.estimate(known, 1, true);
      float[] head = propagation.estimate(known, 1, false);
      assertEquals(1.0, norm(tail), 1e-5, name + ": unit tail estimate");
      assertEquals(1.0, norm(head), 1e-5, name + ": unit head estimate");
      try (NDManager m = NDManager.newBaseManager()) {
        float bestTail = model.score(m.create(known), m.create(row), m.create(tail)).getFloat();
        float bestHead =
            model.headQueryScore(m.create(head), m.create(row), m.create(known)).getFloat();
        assertTrue(bestTail > 0 && bestHead > 0, name);
        // no other unit vector scores higher (the maximum of q . x over |x| = 1 is |q| at x = q /
        // |q|)
        for (int trial = 0; trial < 200; trial++) {
          float[] other = unit(uniform(random, dim));
          assertTrue(
              model.score(m.create(known), m.create(row), m.create(other)).getFloat()
                  <= bestTail + 1e-5,
              name + ": a random unit tail scores higher");
          assertTrue(
              model.headQueryScore(m.create(other), m.create(row), m.create(known)).getFloat()
                  <= bestHead + 1e-5,
              name + ": a random unit head scores higher");
        }
      }
    }
  }

  @Test
  void handMadeDistMultAndComplExCasesGiveTheKnownDirections() {
    // DistMult: head (1, 2), relation (3, 1): the tail query is (3, 2); the head query of tail (1,
    // 2) is (3, 2) too
    Propagation distMult = new Propagation("distmult", 2, 2, new float[] {3, 1}, 1.0);
    float root13 = (float) Math.sqrt(13);
    assertArrayEquals(
        new float[] {3 / root13, 2 / root13},
        distMult.estimate(new float[] {1, 2}, 0, true),
        1e-6f);
    assertArrayEquals(
        new float[] {3 / root13, 2 / root13},
        distMult.estimate(new float[] {1, 2}, 0, false),
        1e-6f);
    // ComplEx, one complex dimension: relation i (a quarter turn). A tail is the head turned by +90
    // degrees,
    // a head the tail turned back: head 1 -> tail i; tail 1 -> head -i ([real | imaginary] rows)
    Propagation complex = new Propagation("complex", 2, 2, new float[] {0, 1}, 1.0);
    assertArrayEquals(new float[] {0, 1}, complex.estimate(new float[] {1, 0}, 0, true), 1e-6f);
    assertArrayEquals(new float[] {0, -1}, complex.estimate(new float[] {1, 0}, 0, false), 1e-6f);
    // two edges, estimates (1, 0) and (0, 1): the direction of their sum at the trained rows' norm
    // 3
    Propagation scaled = new Propagation("distmult", 2, 2, new float[] {1, 1}, 3.0);
    float[] sum = {1, 1};
    float c = (float) (3 / Math.sqrt(2));
    assertArrayEquals(new float[] {c, c}, scaled.combine(sum, 2), 1e-6f);
    assertArrayEquals(
        new float[] {0, 0},
        scaled.combine(new float[] {0, 0}, 2),
        "estimates that cancel give zero");
    // projection: h (1, 0), r (1, 1), t (2, 0): t along the unit tail query (1, 0) is 2, h along
    // the unit
    // head query r o t = (2, 0) -> (1, 0) is 1; their mean 1.5
    assertEquals(
        1.5,
        new Propagation("distmult", 2, 2, new float[] {1, 1}, 1.0)
            .projection(new float[] {1, 0}, 0, new float[] {2, 0}),
        1e-9);
    // translational models average their estimates
    assertArrayEquals(
        new float[] {0.5f, 0.5f},
        new Propagation("transe_l2", 2, 2, new float[] {0, 0}, 3.0).combine(sum, 2));
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
    return s;
  }

  static double norm(float[] v) {
    double s = 0;
    for (float x : v) s += (double) x * x;
    return Math.sqrt(s);
  }

  static float[] unit(float[] v) {
    double n = norm(v);
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / n);
    return out;
  }

  private static float[] uniform(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = random.nextFloat() * 2 - 1;
    return v;
  }
}
