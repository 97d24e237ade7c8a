package org.sparkkge.core.model;

import static org.sparkkge.core.tensor.NativeScalars.of;

import ai.djl.ndarray.NDArray;

/**
 * TransE (Bordes et al. 2013): score = -||h + r - t||_p for p = 1 or 2. The L2 form scores
 * candidates with one matrix product (||q||^2 + ||c||^2 - 2 q.c); the L1 form broadcasts.
 */
public final class TransE implements ScoringModel {
  private static final float EPS = 1e-9f;
  private final int norm;

  public TransE(int norm) {
    if (norm != 1 && norm != 2) {
      throw new IllegalArgumentException("TransE norm must be 1 or 2, got " + norm);
    }
    this.norm = norm;
  }

  @Override
  public String name() {
    return "transe_l" + norm;
  }

  @Override
  public int relationWidth(int dim) {
    return dim;
  }

  @Override
  public boolean broadcastScoring() {
    return norm == 1;
  }

  @Override
  public NDArray score(NDArray h, NDArray r, NDArray t) {
    NDArray diff = h.add(r).sub(t);
    if (norm == 1) {
      return diff.abs().sum(new int[] {-1}).neg();
    }
    return diff.square().sum(new int[] {-1}).add(of(diff, EPS)).sqrt().neg();
  }

  @Override
  public NDArray scoreTails(NDArray h, NDArray r, NDArray candidates) {
    return distanceScores(h.add(r), candidates);
  }

  @Override
  public NDArray scoreHeads(NDArray r, NDArray t, NDArray candidates) {
    // ||h + r - t|| = ||h - (t - r)||
    return distanceScores(t.sub(r), candidates);
  }

  private NDArray distanceScores(NDArray query, NDArray candidates) {
    if (norm == 1) {
      return query.expandDims(2).sub(candidates.expandDims(1)).abs().sum(new int[] {-1}).neg();
    }
    NDArray qq = query.square().sum(new int[] {-1}, true); // (K, c, 1)
    NDArray cc = candidates.square().sum(new int[] {-1}).expandDims(1); // (K, 1, N)
    NDArray qc = query.batchMatMul(candidates.transpose(0, 2, 1)); // (K, c, N)
    NDArray squared = qq.add(cc).sub(qc.mul(of(qc, 2f)));
    return squared.maximum(of(squared, 0f)).add(of(squared, EPS)).sqrt().neg();
  }
}
