package org.sparkkge.core.model;

import ai.djl.ndarray.NDArray;
import java.util.Random;

/**
 * Reciprocal relations (Lacroix et al., ICML 2018) over a base model: every relation row holds two
 * base rows, {@code [forward | inverse]}. A tail query (h, r, ?) is the base model's tail query
 * with the forward row; a head query (?, r, t) is the base model's tail query (t, r^-1, ?) with the
 * inverse row. Each direction so gets its own relation parameters, which the base models' shared
 * row cannot give them (ComplEx and DistMult ask one row to serve both directions).
 */
public final class Reciprocal implements ScoringModel {
  public static final String SUFFIX = "_reciprocal";

  private final ScoringModel base;

  public Reciprocal(ScoringModel base) {
    this.base = base;
  }

  @Override
  public String name() {
    return base.name() + SUFFIX;
  }

  @Override
  public int relationWidth(int dim) {
    return 2 * base.relationWidth(dim);
  }

  @Override
  public boolean broadcastScoring() {
    return base.broadcastScoring();
  }

  @Override
  public void initRelations(float[] relations, int dim, Random random, float scale) {
    // both halves of a row start from the base model's own initialisation
    base.initRelations(relations, dim, random, scale);
  }

  /** The tail-query score of (h, r, t). */
  @Override
  public NDArray score(NDArray h, NDArray r, NDArray t) {
    return base.score(h, forward(r), t);
  }

  @Override
  public NDArray headQueryScore(NDArray h, NDArray r, NDArray t) {
    return base.score(t, inverse(r), h);
  }

  @Override
  public NDArray scoreTails(NDArray h, NDArray r, NDArray candidates) {
    return base.scoreTails(h, forward(r), candidates);
  }

  @Override
  public NDArray scoreHeads(NDArray r, NDArray t, NDArray candidates) {
    return base.scoreTails(t, inverse(r), candidates);
  }

  @Override
  public NDArray[] scoreTrueAndTails(NDArray h, NDArray r, NDArray t, NDArray... candidateBlocks) {
    return base.scoreTrueAndTails(h, forward(r), t, candidateBlocks);
  }

  @Override
  public NDArray[] scoreTrueAndHeads(NDArray h, NDArray r, NDArray t, NDArray... candidateBlocks) {
    return base.scoreTrueAndTails(t, inverse(r), h, candidateBlocks);
  }

  private static NDArray forward(NDArray r) {
    return ScoringModel.realPart(r);
  }

  private static NDArray inverse(NDArray r) {
    return ScoringModel.imagPart(r);
  }
}
