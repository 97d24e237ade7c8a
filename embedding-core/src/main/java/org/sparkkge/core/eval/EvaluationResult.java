package org.sparkkge.core.eval;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Filtered link-prediction metrics over 2 x |test| queries (tail and head prediction). Realistic
 * rank = mean of optimistic and pessimistic rank (ties). When {@code sampled} is true the ranks are
 * against {@code candidates} random entities, not all entities, and every metric name says so.
 * {@code nonFiniteTrueScores}: queries whose true answer scored NaN or infinite, ranked last
 * ({@link QueryCounts}).
 */
public record EvaluationResult(
    boolean sampled,
    int candidates,
    RankMetrics realistic,
    RankMetrics optimistic,
    RankMetrics pessimistic,
    RankMetrics tailQueries,
    RankMetrics headQueries,
    Map<Integer, RankMetrics> perRelation,
    long nonFiniteTrueScores) {

  /** "filtered" or "sampled{N}_filtered": the prefix of every metric name. */
  public String label() {
    return sampled ? "sampled" + candidates + "_filtered" : "filtered";
  }

  /** Combines partial results of disjoint test subsets (same mode). */
  public EvaluationResult plus(EvaluationResult o) {
    if (sampled != o.sampled || candidates != o.candidates) {
      throw new IllegalArgumentException(
          "cannot merge " + label() + " with " + o.label() + " results");
    }
    Map<Integer, RankMetrics> rel = new TreeMap<>(perRelation);
    o.perRelation.forEach((k, v) -> rel.merge(k, v, RankMetrics::plus));
    return new EvaluationResult(
        sampled,
        candidates,
        realistic.plus(o.realistic),
        optimistic.plus(o.optimistic),
        pessimistic.plus(o.pessimistic),
        tailQueries.plus(o.tailQueries),
        headQueries.plus(o.headQueries),
        rel,
        nonFiniteTrueScores + o.nonFiniteTrueScores);
  }

  /**
   * Flat metric map, names prefixed with {@link #label()}, e.g. "filtered_mrr",
   * "sampled1000_filtered_hits@10".
   */
  public Map<String, Double> asMap() {
    Map<String, Double> m = new LinkedHashMap<>();
    String p = label() + "_";
    m.put(p + "queries", (double) realistic.queries());
    m.put(p + "mrr", realistic.mrr());
    m.put(p + "mr", realistic.meanRank());
    m.put(p + "hits@1", realistic.hitsAt1());
    m.put(p + "hits@3", realistic.hitsAt3());
    m.put(p + "hits@10", realistic.hitsAt10());
    m.put(p + "optimistic_mrr", optimistic.mrr());
    m.put(p + "pessimistic_mrr", pessimistic.mrr());
    m.put(p + "tail_mrr", tailQueries.mrr());
    m.put(p + "head_mrr", headQueries.mrr());
    m.put(p + "nonfinite_true_scores", (double) nonFiniteTrueScores);
    return m;
  }

  @Override
  public String toString() {
    return label()
        + " (realistic ranks) "
        + realistic
        + " | optimistic MRR "
        + String.format(Locale.ROOT, "%.4f", optimistic.mrr())
        + ", pessimistic MRR "
        + String.format(Locale.ROOT, "%.4f", pessimistic.mrr())
        + (nonFiniteTrueScores == 0
            ? ""
            : " | " + nonFiniteTrueScores + " true answers with a NaN/infinite score ranked last");
  }
}
