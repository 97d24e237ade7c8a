package org.sparkkge.jobs.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * A relation-aware estimate is the model's own best answer: for TransE and RotatE (plain and
 * reciprocal) the estimated tail makes the tail query (h, r, ?) score its maximum 0, and the estimated
 * head makes the head query (?, r, t) score 0, as embedding-core's models compute them.
 */
class PropagationTest {
  @Test
  void estimatesScorePerfectlyInTheirQueryDirection() {
    Random random = new Random(11);
    int dim = 8;
    int relations = 3;
    for (String name : new String[] {"transe_l1", "transe_l2", "rotate", "transe_l1_reciprocal",
        "transe_l2_reciprocal", "rotate_reciprocal"}) {
      ScoringModel model = ScoringModels.byName(name);
      int width = model.relationWidth(dim);
      float[] table = uniform(random, relations * width);
      Propagation propagation = new Propagation(name, dim, width, table);
      float[] known = uniform(random, dim);
      int relation = 2;
      float[] row = Arrays.copyOfRange(table, relation * width, (relation + 1) * width);
      float[] tail = propagation.estimate(known, relation, true);
      float[] head = propagation.estimate(known, relation, false);
      try (NDManager m = NDManager.newBaseManager()) {
        assertEquals(0f, model.score(m.create(known), m.create(row), m.create(tail)).getFloat(), 1e-3f,
            name + ": (known, r, estimated tail)");
        assertEquals(0f, model.headQueryScore(m.create(head), m.create(row), m.create(known)).getFloat(), 1e-3f,
            name + ": (estimated head, r, known)");
      }
    }
  }

  @Test
  void modelsWithoutAnInvertibleTransformFallBackToTheNeighboursVector() {
    float[] known = {1, 2, 3, 4};
    for (String name : new String[] {"complex", "distmult", "complex_reciprocal"}) {
      int width = ScoringModels.byName(name).relationWidth(4);
      Propagation propagation = new Propagation(name, 4, width, uniform(new Random(1), 2 * width));
      assertArrayEquals(known, propagation.estimate(known, 1, true), name);
      assertArrayEquals(known, propagation.estimate(known, 1, false), name);
    }
  }

  private static float[] uniform(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = random.nextFloat() * 2 - 1;
    return v;
  }
}
