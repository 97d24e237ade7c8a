package org.sparkkge.core.model;

import static org.sparkkge.core.model.ScoringModel.imagPart;
import static org.sparkkge.core.model.ScoringModel.realPart;
import static org.sparkkge.core.tensor.NativeScalars.of;

import ai.djl.ndarray.NDArray;
import java.util.Random;

/**
 * RotatE (Sun et al. 2019): score = -sum_k |h_k * r_k - t_k| with r_k = exp(i * phase_k). Entity
 * rows are complex (real parts, then imaginary parts); relation rows hold dim/2 phases. Since |r| =
 * 1, head prediction compares h with t * conj(r). Candidate scoring broadcasts.
 */
public final class RotatE implements ScoringModel {
  private static final float EPS = 1e-9f;

  @Override
  public String name() {
    return "rotate";
  }

  @Override
  public int relationWidth(int dim) {
    return dim / 2;
  }

  @Override
  public boolean broadcastScoring() {
    return true;
  }

  @Override
  public void initRelations(float[] relations, int dim, Random random, float scale) {
    for (int i = 0; i < relations.length; i++) {
      relations[i] = (float) ((random.nextDouble() * 2 - 1) * Math.PI);
    }
  }

  @Override
  public NDArray score(NDArray h, NDArray r, NDArray t) {
    NDArray[] q = rotate(realPart(h), imagPart(h), r.cos(), r.sin());
    return modulusSum(q[0].sub(realPart(t)), q[1].sub(imagPart(t))).neg();
  }

  @Override
  public NDArray scoreTails(NDArray h, NDArray r, NDArray candidates) {
    return broadcastScores(rotate(realPart(h), imagPart(h), r.cos(), r.sin()), candidates);
  }

  @Override
  public NDArray scoreHeads(NDArray r, NDArray t, NDArray candidates) {
    return broadcastScores(rotate(realPart(t), imagPart(t), r.cos(), r.sin().neg()), candidates);
  }

  private static NDArray[] rotate(NDArray re, NDArray im, NDArray cos, NDArray sin) {
    return new NDArray[] {re.mul(cos).sub(im.mul(sin)), re.mul(sin).add(im.mul(cos))};
  }

  private static NDArray modulusSum(NDArray re, NDArray im) {
    return re.square().add(im.square()).add(of(re, EPS)).sqrt().sum(new int[] {-1});
  }

  private static NDArray broadcastScores(NDArray[] query, NDArray candidates) {
    NDArray re = query[0].expandDims(2).sub(realPart(candidates).expandDims(1));
    NDArray im = query[1].expandDims(2).sub(imagPart(candidates).expandDims(1));
    return modulusSum(re, im).neg();
  }
}
