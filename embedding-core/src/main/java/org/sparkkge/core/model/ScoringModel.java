package org.sparkkge.core.model;

import ai.djl.ndarray.NDArray;
import java.util.Random;

/**
 * An interaction function: a higher score means a more plausible triple. Implementations are
 * stateless; embeddings come in as rows (last axis = embedding width).
 *
 * <p>Layout of complex-valued models (ComplEx, RotatE): an entity row of width {@code dim} holds
 * all real parts first ({@code [0, dim/2)}), then all imaginary parts ({@code [dim/2, dim)}).
 */
public interface ScoringModel {

  String name();

  /** Floats per relation row for entity rows of width {@code dim}. */
  int relationWidth(int dim);

  /** Scores aligned rows: h, r, t of shape (..., width) give scores of shape (...). */
  NDArray score(NDArray h, NDArray r, NDArray t);

  /**
   * Tail prediction against shared candidates: h (K, c, dim), r (K, c, rdim), candidates (K, N,
   * dim) give (K, c, N), the score of (h[k,i], r[k,i], candidates[k,j]). K = 1 and N = all entities
   * is one-vs-all ranking; K chunks with N sampled entities is PyTorch-BigGraph's shared negatives.
   */
  NDArray scoreTails(NDArray h, NDArray r, NDArray candidates);

  /** Head prediction: r (K, c, rdim), t (K, c, dim), candidates (K, N, dim) give (K, c, N). */
  NDArray scoreHeads(NDArray r, NDArray t, NDArray candidates);

  /**
   * Tail queries (h, r, ?) scored against the true tail and against each candidate block: {@code
   * {score(h, r, t) (K, c), scoreTails(h, r, block) (K, c, N_i) per block}}. Models that turn (h,
   * r) into one query vector override it to build that query once for all of them.
   */
  default NDArray[] scoreTrueAndTails(NDArray h, NDArray r, NDArray t, NDArray... candidateBlocks) {
    NDArray[] scores = new NDArray[1 + candidateBlocks.length];
    scores[0] = score(h, r, t);
    for (int i = 0; i < candidateBlocks.length; i++)
      scores[i + 1] = scoreTails(h, r, candidateBlocks[i]);
    return scores;
  }

  /**
   * Head queries (?, r, t) scored against the true head and against each candidate block: {@code
   * {headQueryScore(h, r, t) (K, c), scoreHeads(r, t, block) (K, c, N_i) per block}}.
   */
  default NDArray[] scoreTrueAndHeads(NDArray h, NDArray r, NDArray t, NDArray... candidateBlocks) {
    NDArray[] scores = new NDArray[1 + candidateBlocks.length];
    scores[0] = headQueryScore(h, r, t);
    for (int i = 0; i < candidateBlocks.length; i++)
      scores[i + 1] = scoreHeads(r, t, candidateBlocks[i]);
    return scores;
  }

  /**
   * The score that {@link #scoreHeads} gives the true head h of (?, r, t); aligned rows as in
   * {@link #score}. Equal to {@code score(h, r, t)} unless head queries use their own relation
   * parameters ({@link Reciprocal}).
   */
  default NDArray headQueryScore(NDArray h, NDArray r, NDArray t) {
    return score(h, r, t);
  }

  /**
   * True when candidate scoring materialises a (K, c, N, dim) broadcast instead of a matrix product
   * (distance models): callers use smaller blocks.
   */
  default boolean broadcastScoring() {
    return false;
  }

  /** Fills a fresh relation table (row-major, numRelations x relationWidth(dim)). */
  default void initRelations(float[] relations, int dim, Random random, float scale) {
    for (int i = 0; i < relations.length; i++) {
      relations[i] = (random.nextFloat() * 2f - 1f) * scale;
    }
  }

  /**
   * For models whose score is a dot product of a query row with the answer's row: the query (K, c,
   * w) scored against the true answer (K, c, w) and against each candidate block (K, N_i, w).
   */
  static NDArray[] queryScores(NDArray query, NDArray trueAnswer, NDArray... candidateBlocks) {
    NDArray[] scores = new NDArray[1 + candidateBlocks.length];
    scores[0] = query.mul(trueAnswer).sum(new int[] {-1});
    for (int i = 0; i < candidateBlocks.length; i++) {
      scores[i + 1] = query.batchMatMul(candidateBlocks[i].transpose(0, 2, 1));
    }
    return scores;
  }

  /** First half of the last axis (real parts of a complex row). */
  static NDArray realPart(NDArray x) {
    long half = x.getShape().get(x.getShape().dimension() - 1) / 2;
    return x.get("..., :" + half);
  }

  /** Second half of the last axis (imaginary parts of a complex row). */
  static NDArray imagPart(NDArray x) {
    long half = x.getShape().get(x.getShape().dimension() - 1) / 2;
    return x.get("..., " + half + ":");
  }
}
