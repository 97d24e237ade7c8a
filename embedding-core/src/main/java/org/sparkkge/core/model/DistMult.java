package org.sparkkge.core.model;

import ai.djl.ndarray.NDArray;

/**
 * DistMult (Yang et al. 2015): score = sum(h * r * t). Candidate scoring is one batched matrix
 * product.
 */
public final class DistMult implements ScoringModel {
  @Override
  public String name() {
    return "distmult";
  }

  @Override
  public int relationWidth(int dim) {
    return dim;
  }

  @Override
  public NDArray score(NDArray h, NDArray r, NDArray t) {
    return h.mul(r).mul(t).sum(new int[] {-1});
  }

  @Override
  public NDArray scoreTails(NDArray h, NDArray r, NDArray candidates) {
    return h.mul(r).batchMatMul(candidates.transpose(0, 2, 1));
  }

  @Override
  public NDArray scoreHeads(NDArray r, NDArray t, NDArray candidates) {
    return r.mul(t).batchMatMul(candidates.transpose(0, 2, 1));
  }

  @Override
  public NDArray[] scoreTrueAndTails(NDArray h, NDArray r, NDArray t, NDArray... candidateBlocks) {
    return ScoringModel.queryScores(h.mul(r), t, candidateBlocks);
  }

  @Override
  public NDArray[] scoreTrueAndHeads(NDArray h, NDArray r, NDArray t, NDArray... candidateBlocks) {
    return ScoringModel.queryScores(r.mul(t), h, candidateBlocks);
  }
}
