package org.sparkkge.jobs.export;

import java.io.Serializable;
import java.util.Locale;
import org.sparkkge.core.model.ScoringModels;

/**
 * How an entity outside the trained set gets a vector from its edges to embedded neighbours, by the
 * scoring model's own relation transform. Each edge gives an estimate of the unknown end; {@link
 * #combine} merges an entity's estimates.
 *
 * <ul>
 *   <li>TransE: t = h + r (tail from head), h = t - r (head from tail); RotatE: t = h o e^{i
 *       phase}, h = t o e^{-i phase}. The estimate scores the model's maximum; an entity gets the
 *       mean of its estimates.
 *   <li>DistMult and ComplEx: a query is one real vector q with score = q . x (DistMult q = h o r
 *       for a tail, r o t for a head; ComplEx q = h o r for a tail, conj(r) o t for a head, complex
 *       products), so the unit vector that scores an edge highest is q / |q|. The relation
 *       transform is not inverted (a diagonal product's inverse blows up near-zero components): an
 *       entity gets the direction of the sum of its edges' unit q, which maximises the sum of their
 *       scores, at the length a trained answer has along its query's unit vector on average over
 *       the training triples ({@link #projection}): so a placed entity scores its own edges as a
 *       typical trained answer scores its edge, and does not outrank the trained answers of other
 *       queries (at the trained rows' full norm it did: FB15k-237 at k = 15 lost half its core
 *       MRR).
 * </ul>
 *
 * With reciprocal relations (relation row [forward | inverse]) a head comes from the inverse half
 * the way a tail comes from the forward half, as the model scores head queries: h = t + r_inv, t o
 * e^{i phase_inv}, or q = t o r_inv.
 */
public final class Propagation implements Serializable {
  private static final long serialVersionUID = 2L;

  private final String model;
  private final int dim;
  private final int relationDim;
  private final float[] relations;
  private final double placedNorm;
  // resolved once: estimate runs once per edge on the executors
  private final String base;
  private final boolean reciprocal;

  /**
   * @param placedNorm the length bilinear models' placed entities get: the mean {@link #projection}
   *     over the training triples (unused by the other models)
   */
  public Propagation(String model, int dim, int relationDim, float[] relations, double placedNorm) {
    this.model = model;
    this.dim = dim;
    this.relationDim = relationDim;
    this.relations = relations;
    this.placedNorm = placedNorm;
    this.base = ScoringModels.baseName(model);
    this.reciprocal = ScoringModels.isReciprocal(model);
  }

  /** The same rule with bilinear placed entities at length {@code norm}. */
  public Propagation withPlacedNorm(double norm) {
    return new Propagation(model, dim, relationDim, relations, norm);
  }

  /** True for DistMult and ComplEx (plain or reciprocal): placed along unit query vectors. */
  public boolean bilinear() {
    return base.equals("distmult") || base.equals("complex");
  }

  /**
   * For a training triple (h, r, t) with both rows trained: the mean of t's length along the unit
   * tail query vector of (h, r) and h's along the unit head query vector of (r, t), i.e. the score
   * per unit of query length that the trained answers get. Bilinear models only.
   */
  public double projection(float[] head, int relation, float[] tail) {
    return (dot(estimate(head, relation, true), tail) + dot(estimate(tail, relation, false), head))
        / 2;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
    return s;
  }

  /** Human-readable rule, for stats and model.json. */
  public String rule() {
    return switch (base) {
      case "transe_l1", "transe_l2" ->
          reciprocal
              ? "TransE, reciprocal relations: tail = head + r_forward, head = tail + r_inverse; mean over embedded neighbours"
              : "TransE: tail = head + r, head = tail - r; mean over embedded neighbours";
      case "rotate" ->
          reciprocal
              ? "RotatE, reciprocal relations: tail = head rotated by r_forward's phases, head = tail rotated by "
                  + "r_inverse's phases; mean over embedded neighbours"
              : "RotatE: tail = head rotated by r's phases, head = tail rotated back; mean over embedded neighbours";
      case "distmult" -> bilinearRule("DistMult", reciprocal ? "tail o r_inverse" : "r o tail");
      case "complex" ->
          bilinearRule(
              "ComplEx", reciprocal ? "tail o r_inverse" : "conj(r) o tail, complex products");
      default -> model + ": no relation transform; mean of the embedded neighbours' vectors";
    };
  }

  private String bilinearRule(String name, String headQuery) {
    return String.format(
        Locale.ROOT,
        "%s%s: each edge's unit query vector (tail: head o %s, head: %s), their "
            + "sum's direction (the unit vector with the highest summed score), at length %.6g (the trained answers' "
            + "mean length along their unit query vectors)",
        name,
        reciprocal ? ", reciprocal relations" : "",
        reciprocal ? "r_forward" : "r",
        headQuery,
        placedNorm);
  }

  /**
   * Estimate of the unknown end of edge (h, r, t): {@code known} is the embedded end's vector,
   * {@code knownIsHead} says whether it is the head (then the tail is estimated). Bilinear models
   * give a unit vector (zero when the query vector is zero).
   */
  public float[] estimate(float[] known, int relation, boolean knownIsHead) {
    float[] out = new float[dim];
    // reciprocal: the head is the inverse half's "tail" of the known tail, so the transform runs
    // forward
    int offset = relation * relationDim + (reciprocal && !knownIsHead ? relationDim / 2 : 0);
    boolean forward = knownIsHead || reciprocal;
    float sign = forward ? 1f : -1f;
    int half = dim / 2;
    switch (base) {
      case "transe_l1", "transe_l2" -> {
        for (int i = 0; i < dim; i++) out[i] = known[i] + sign * relations[offset + i];
      }
      case "rotate" -> {
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
      case "distmult" -> {
        for (int i = 0; i < dim; i++) out[i] = known[i] * relations[offset + i];
        return unit(out);
      }
      case "complex" -> {
        // forward: known o r; head of a plain model: conj(r) o known (score = Re(sum h r conj(t)))
        for (int k = 0; k < half; k++) {
          float a = known[k];
          float b = known[half + k];
          float c = relations[offset + k];
          float d = forward ? relations[offset + half + k] : -relations[offset + half + k];
          out[k] = a * c - b * d;
          out[half + k] = b * c + a * d;
        }
        return unit(out);
      }
      default -> System.arraycopy(known, 0, out, 0, dim);
    }
    return out;
  }

  /** An entity's vector from the sum of its {@code count} edge estimates. */
  public float[] combine(float[] sum, long count) {
    if (!bilinear()) {
      return scale(sum, 1.0 / count);
    }
    double norm = norm(sum);
    return norm == 0 ? new float[sum.length] : scale(sum, placedNorm / norm);
  }

  private static float[] unit(float[] v) {
    double norm = norm(v);
    return norm == 0 ? v : scale(v, 1.0 / norm);
  }

  static double norm(float[] v) {
    double s = 0;
    for (float x : v) s += (double) x * x;
    return Math.sqrt(s);
  }

  static float[] scale(float[] a, double factor) {
    float[] out = new float[a.length];
    for (int i = 0; i < out.length; i++) out[i] = (float) (a[i] * factor);
    return out;
  }
}
