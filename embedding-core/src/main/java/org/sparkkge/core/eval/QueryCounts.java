package org.sparkkge.core.eval;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One query's true answer compared with its filtered candidates (every candidate except the answer
 * itself and the other known answers): how many score higher and equal, how many were compared, and
 * which scores were not finite. Counts of disjoint candidate blocks add up ({@link #plus}), so the
 * distributed ranking sums them over entity blocks.
 *
 * <p>Non-finite scores (NaN, +Inf, -Inf: a diverged model or an overflowing score) are never
 * compared as numbers, because {@code v > NaN} and {@code v == NaN} are both false and would give a
 * NaN answer a perfect rank:
 *
 * <ul>
 *   <li>a non-finite score of a filtered candidate makes the query invalid: the ranking reports it
 *       as an error naming the query ({@link NonFiniteScoreException}), no metric is computed;
 *   <li>otherwise a non-finite score of the true answer ranks it last (rank = candidates + 1) and
 *       is counted ({@link EvaluationResult#nonFiniteTrueScores()}).
 * </ul>
 *
 * @param greater filtered candidates scoring strictly higher than the answer
 * @param equal filtered candidates scoring the same
 * @param candidates filtered candidates compared
 * @param nonFinite filtered candidates whose score is NaN or infinite
 * @param firstNonFinite the lowest id among them, -1 when none
 * @param firstNonFiniteScore its score
 * @param answerNonFinite the answer's own score is NaN or infinite
 */
public record QueryCounts(
    long greater,
    long equal,
    long candidates,
    long nonFinite,
    int firstNonFinite,
    float firstNonFiniteScore,
    boolean answerNonFinite)
    implements Serializable {

  public static final QueryCounts EMPTY = new QueryCounts(0, 0, 0, 0, -1, 0f, false);

  /**
   * Counts over score columns {@code offset .. offset + width - 1}, the candidates with entity ids
   * {@code from .. from + width - 1}.
   *
   * @param target the answer's score
   * @param answer the answer's entity id (left out when it lies in the block)
   * @param filtered sorted distinct known answers to leave out (null: none); ids outside the block
   *     are ignored
   */
  public static QueryCounts count(
      float[] s, int offset, int width, float target, int from, int answer, int[] filtered) {
    long greater = 0;
    long equal = 0;
    long nonFinite = 0;
    // a tight pass over all columns, then the few left-out columns are taken back out
    for (int j = 0; j < width; j++) {
      float v = s[offset + j];
      if (v > target) greater++;
      else if (v == target) equal++;
      if (!Float.isFinite(v)) nonFinite++;
    }
    long excluded = 0;
    if (answer >= from && answer < from + width) {
      float v = s[offset + answer - from];
      excluded++;
      if (v > target) greater--;
      else if (v == target) equal--;
      if (!Float.isFinite(v)) nonFinite--;
    }
    int lo = 0;
    int hi = 0;
    if (filtered != null) {
      lo = lowerBound(filtered, from);
      hi = lowerBound(filtered, from + width);
      for (int i = lo; i < hi; i++) {
        int x = filtered[i];
        if (x == answer) continue;
        float v = s[offset + x - from];
        excluded++;
        if (v > target) greater--;
        else if (v == target) equal--;
        if (!Float.isFinite(v)) nonFinite--;
      }
    }
    int first = -1;
    float firstScore = 0f;
    if (nonFinite > 0) {
      // rare: the lowest compared candidate with a non-finite score, for the error message
      int f = lo;
      for (int j = 0; j < width && first < 0; j++) {
        int id = from + j;
        while (filtered != null && f < hi && filtered[f] < id) f++;
        if (id == answer || (filtered != null && f < hi && filtered[f] == id)) continue;
        if (!Float.isFinite(s[offset + j])) {
          first = id;
          firstScore = s[offset + j];
        }
      }
    }
    return new QueryCounts(
        greater, equal, width - excluded, nonFinite, first, firstScore, !Float.isFinite(target));
  }

  /**
   * Counts over the first {@code n} score columns, column j being entity {@code ids[j]} (sampled
   * candidates); the answer and the filtered ids (sorted, distinct) are left out.
   */
  public static QueryCounts countSampled(
      float[] s, int offset, int n, int[] ids, float target, int answer, int[] filtered) {
    long greater = 0;
    long equal = 0;
    long compared = 0;
    long nonFinite = 0;
    int first = -1;
    float firstScore = 0f;
    for (int j = 0; j < n; j++) {
      int id = ids[j];
      if (id == answer || (filtered != null && Arrays.binarySearch(filtered, id) >= 0)) continue;
      float v = s[offset + j];
      compared++;
      if (v > target) greater++;
      else if (v == target) equal++;
      if (!Float.isFinite(v)) {
        nonFinite++;
        if (first < 0 || id < first) {
          first = id;
          firstScore = v;
        }
      }
    }
    return new QueryCounts(
        greater, equal, compared, nonFinite, first, firstScore, !Float.isFinite(target));
  }

  /** Counts of this and another, disjoint block of candidates of the same query. */
  public QueryCounts plus(QueryCounts o) {
    boolean mine =
        firstNonFinite >= 0 && (o.firstNonFinite < 0 || firstNonFinite <= o.firstNonFinite);
    return new QueryCounts(
        greater + o.greater,
        equal + o.equal,
        candidates + o.candidates,
        nonFinite + o.nonFinite,
        mine ? firstNonFinite : o.firstNonFinite,
        mine ? firstNonFiniteScore : o.firstNonFiniteScore,
        answerNonFinite || o.answerNonFinite);
  }

  /** Whether a compared candidate scored NaN or infinite: the query cannot be ranked. */
  public boolean invalid() {
    return nonFinite > 0;
  }

  /** Best rank among ties (higher + 1); last (candidates + 1) for a non-finite answer. */
  public long optimisticRank() {
    return answerNonFinite ? candidates + 1 : greater + 1;
  }

  /** Worst rank among ties (higher + equal + 1); last (candidates + 1) for a non-finite answer. */
  public long pessimisticRank() {
    return answerNonFinite ? candidates + 1 : greater + equal + 1;
  }

  private static int lowerBound(int[] sorted, int key) {
    int i = Arrays.binarySearch(sorted, key);
    if (i < 0) return -i - 1;
    while (i > 0 && sorted[i - 1] == key) i--;
    return i;
  }
}
