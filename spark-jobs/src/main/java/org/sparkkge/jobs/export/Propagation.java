package org.sparkkge.jobs.export;

import java.io.Serializable;
import org.sparkkge.core.model.ScoringModels;

/**
 * How an entity outside the trained set gets an estimate from one embedded neighbour over one edge,
 * using the scoring model's own relation transform where it has one:
 * TransE t = h + r (tail from head) and h = t - r (head from tail); RotatE t = h o e^{i phase} and
 * h = t o e^{-i phase}. With reciprocal relations (relation row [forward | inverse]) the head comes from
 * the inverse half the way a tail comes from the forward half: h = t + r_inv, h = t o e^{i phase_inv}.
 * DistMult and ComplEx have no invertible relation transform (a diagonal product whose inverse blows up
 * near-zero components), so they fall back to the neighbour's own vector. An entity's estimate is the
 * mean over all its edges to already-embedded neighbours.
 */
public final class Propagation implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String model;
  private final int dim;
  private final int relationDim;
  private final float[] relations;
  // resolved once: estimate runs once per edge on the executors
  private final String base;
  private final boolean reciprocal;

  public Propagation(String model, int dim, int relationDim, float[] relations) {
    this.model = model;
    this.dim = dim;
    this.relationDim = relationDim;
    this.relations = relations;
    this.base = ScoringModels.baseName(model);
    this.reciprocal = ScoringModels.isReciprocal(model);
  }

  /** Human-readable rule, for stats and model.json. */
  public String rule() {
    return switch (base) {
      case "transe_l1", "transe_l2" -> reciprocal
          ? "TransE, reciprocal relations: tail = head + r_forward, head = tail + r_inverse; mean over embedded neighbours"
          : "TransE: tail = head + r, head = tail - r; mean over embedded neighbours";
      case "rotate" -> reciprocal
          ? "RotatE, reciprocal relations: tail = head rotated by r_forward's phases, head = tail rotated by "
              + "r_inverse's phases; mean over embedded neighbours"
          : "RotatE: tail = head rotated by r's phases, head = tail rotated back; mean over embedded neighbours";
      default -> model + ": no invertible relation transform; mean of the embedded neighbours' vectors";
    };
  }

  /**
   * Estimate of the unknown end of edge (h, r, t): {@code known} is the embedded end's vector,
   * {@code knownIsHead} says whether it is the head (then the tail is estimated).
   */
  public float[] estimate(float[] known, int relation, boolean knownIsHead) {
    float[] out = new float[dim];
    // reciprocal: the head is the inverse half's "tail" of the known tail, so the transform runs forward
    int offset = relation * relationDim + (reciprocal && !knownIsHead ? relationDim / 2 : 0);
    float sign = knownIsHead || reciprocal ? 1f : -1f;
    switch (base) {
      case "transe_l1", "transe_l2" -> {
        for (int i = 0; i < dim; i++) out[i] = known[i] + sign * relations[offset + i];
      }
      case "rotate" -> {
        int half = dim / 2;
        for (int k = 0; k < half; k++) {
          double phase = relations[offset + k] * sign;
          double c = Math.cos(phase);
          double s = Math.sin(phase);
          float re = known[k];
          float im = known[half + k];
          out[k] = (float) (re * c - im * s);
          out[half + k] = (float) (re * s + im * c);
        }
      }
      default -> System.arraycopy(known, 0, out, 0, dim);
    }
    return out;
  }
}
