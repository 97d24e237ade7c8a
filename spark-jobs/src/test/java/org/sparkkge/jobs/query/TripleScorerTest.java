package org.sparkkge.jobs.query;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * The plain-Java scorer gives the scores of embedding-core's models (the ones training optimised).
 */
class TripleScorerTest {
  @Test
  void equalsEmbeddingCoreScoresForEveryModel() {
    Random random = new Random(5);
    int dim = 16;
    int rows = 40;
    try (NDManager manager = NDManager.newBaseManager()) {
      for (String model : ScoringModels.names()) {
        TripleScorer scorer = new TripleScorer(model, dim);
        int width = scorer.relationWidth();
        assertEquals(ScoringModels.byName(model).relationWidth(dim), width, model);
        float[] heads = gaussian(random, rows * dim);
        float[] tails = gaussian(random, rows * dim);
        float[] relations = gaussian(random, rows * width);
        // entity table = heads then tails, so row i's tail is row rows + i
        float[] entities = new float[2 * rows * dim];
        System.arraycopy(heads, 0, entities, 0, heads.length);
        System.arraycopy(tails, 0, entities, heads.length, tails.length);
        ScoringModel reference = ScoringModels.byName(model);
        try (NDManager step = manager.newSubManager()) {
          NDArray h = step.create(heads, new Shape(rows, dim));
          NDArray r = step.create(relations, new Shape(rows, width));
          NDArray t = step.create(tails, new Shape(rows, dim));
          float[] expected = reference.score(h, r, t).toFloatArray();
          for (int i = 0; i < rows; i++) {
            double actual = scorer.score(entities, i, relations, i, rows + i);
            assertEquals(
                expected[i],
                actual,
                1e-4 * Math.max(1, Math.abs(expected[i])),
                model + " row " + i);
            float[] hi = Arrays.copyOfRange(heads, i * dim, (i + 1) * dim);
            // a reciprocal model's tail query uses the forward (first) half of the relation row
            int forward = ScoringModels.isReciprocal(model) ? width / 2 : width;
            float[] ri = Arrays.copyOfRange(relations, i * width, i * width + forward);
            float[] ti = Arrays.copyOfRange(tails, i * dim, (i + 1) * dim);
            assertEquals(
                BruteForce.score(ScoringModels.baseName(model), hi, ri, ti),
                actual,
                1e-9,
                model + " row " + i + " vs the written-out formula");
          }
        }
      }
    }
  }

  private static float[] gaussian(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
