package org.sparkkge.jobs.query;

import java.util.Locale;
import java.util.Set;
import org.sparkkge.core.model.ScoringModels;

/**
 * The scoring functions of model.json on plain float arrays (embedding-core's ScoringModel works on
 * DJL NDArrays, which a terminal query should not need). Higher = more plausible. Complex models
 * store an entity row of width dim as all real parts, then all imaginary parts; RotatE relation
 * rows hold dim/2 phases in radians. Reciprocal models ({@code NAME_reciprocal}) hold [forward |
 * inverse] base rows per relation: a tail query scores with the forward half. Rows are addressed as
 * offsets into flat row-major tables.
 */
final class TripleScorer {
  static final Set<String> MODELS =
      Set.of("transe_l1", "transe_l2", "distmult", "complex", "rotate");

  private final String model;
  private final String base;
  private final boolean reciprocal;
  private final int dim;

  TripleScorer(String model, int dim) {
    this.model = model.toLowerCase(Locale.ROOT);
    this.base = ScoringModels.baseName(this.model);
    this.reciprocal = ScoringModels.isReciprocal(this.model);
    if (!MODELS.contains(base)) {
      throw new IllegalArgumentException(
          "unknown model '"
              + model
              + "', expected one of "
              + MODELS
              + ", each optionally with the suffix _reciprocal");
    }
    if ((base.equals("complex") || base.equals("rotate")) && dim % 2 != 0) {
      throw new IllegalArgumentException(model + " needs an even dim, got " + dim);
    }
    this.dim = dim;
  }

  String model() {
    return model;
  }

  /** Floats per relation row. */
  int relationWidth() {
    int width = base.equals("rotate") ? dim / 2 : dim;
    return reciprocal ? 2 * width : width;
  }

  /**
   * The tail-query score(h, r, t) with h at entities[h * dim], r at relations[r * relationWidth()]
   * (its forward half for reciprocal models), t at entities[t * dim].
   */
  double score(float[] entities, int h, float[] relations, int r, int t) {
    int ho = h * dim;
    int to = t * dim;
    int ro = r * relationWidth();
    switch (base) {
      case "transe_l1" -> {
        double sum = 0;
        for (int i = 0; i < dim; i++) {
          sum += Math.abs((double) entities[ho + i] + relations[ro + i] - entities[to + i]);
        }
        return -sum;
      }
      case "transe_l2" -> {
        double sum = 0;
        for (int i = 0; i < dim; i++) {
          double d = (double) entities[ho + i] + relations[ro + i] - entities[to + i];
          sum += d * d;
        }
        return -Math.sqrt(sum);
      }
      case "distmult" -> {
        double sum = 0;
        for (int i = 0; i < dim; i++) {
          sum += (double) entities[ho + i] * relations[ro + i] * entities[to + i];
        }
        return sum;
      }
      case "complex" -> {
        int half = dim / 2;
        double sum = 0;
        for (int k = 0; k < half; k++) {
          double a = entities[ho + k], b = entities[ho + half + k];
          double c = relations[ro + k], d = relations[ro + half + k];
          double e = entities[to + k], f = entities[to + half + k];
          sum += e * (a * c - b * d) + f * (b * c + a * d);
        }
        return sum;
      }
      default -> { // rotate
        int half = dim / 2;
        double sum = 0;
        for (int k = 0; k < half; k++) {
          double a = entities[ho + k], b = entities[ho + half + k];
          double cos = Math.cos(relations[ro + k]), sin = Math.sin(relations[ro + k]);
          double re = a * cos - b * sin - entities[to + k];
          double im = a * sin + b * cos - entities[to + half + k];
          sum += Math.sqrt(re * re + im * im);
        }
        return -sum;
      }
    }
  }
}
