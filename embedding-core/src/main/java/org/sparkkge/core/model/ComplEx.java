package org.sparkkge.core.model;

import static org.sparkkge.core.model.ScoringModel.imagPart;
import static org.sparkkge.core.model.ScoringModel.realPart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * ComplEx (Trouillon et al. 2016): score = Re(sum(h * r * conj(t))). Rows: real parts, then
 * imaginary parts. With h = a + ib, r = c + id, t = e + if the score is e(ac - bd) + f(bc + ad), so
 * a query (h, r) becomes one real vector and candidate scoring is one batched matrix product.
 */
public final class ComplEx implements ScoringModel {
  @Override
  public String name() {
    return "complex";
  }

  @Override
  public int relationWidth(int dim) {
    return dim;
  }

  @Override
  public NDArray score(NDArray h, NDArray r, NDArray t) {
    return tailQuery(h, r).mul(t).sum(new int[] {-1});
  }

  @Override
  public NDArray scoreTails(NDArray h, NDArray r, NDArray candidates) {
    return tailQuery(h, r).batchMatMul(candidates.transpose(0, 2, 1));
  }

  @Override
  public NDArray scoreHeads(NDArray r, NDArray t, NDArray candidates) {
    return headQuery(r, t).batchMatMul(candidates.transpose(0, 2, 1));
  }

  @Override
  public NDArray[] scoreTrueAndTails(NDArray h, NDArray r, NDArray t, NDArray... candidateBlocks) {
    return ScoringModel.queryScores(tailQuery(h, r), t, candidateBlocks);
  }

  @Override
  public NDArray[] scoreTrueAndHeads(NDArray h, NDArray r, NDArray t, NDArray... candidateBlocks) {
    return ScoringModel.queryScores(headQuery(r, t), h, candidateBlocks);
  }

  /** h * r as a real row q such that score = q . t. */
  private static NDArray tailQuery(NDArray h, NDArray r) {
    NDArray a = realPart(h), b = imagPart(h), c = realPart(r), d = imagPart(r);
    return NDArrays.concat(new NDList(a.mul(c).sub(b.mul(d)), b.mul(c).add(a.mul(d))), -1);
  }

  /** r * conj(t) conjugated, as a real row q such that score = q . h: [ce + df, cf - de]. */
  private static NDArray headQuery(NDArray r, NDArray t) {
    NDArray c = realPart(r), d = imagPart(r), e = realPart(t), f = imagPart(t);
    return NDArrays.concat(new NDList(c.mul(e).add(d.mul(f)), c.mul(f).sub(d.mul(e))), -1);
  }
}
