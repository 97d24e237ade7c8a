package org.sparkkge.core.eval;

import java.util.Locale;

/**
 * Mergeable sums over ranked queries; MRR, MR and Hits@k derive from them. Merge partial results of
 * distributed evaluation with {@link #plus(RankMetrics)}.
 */
public record RankMetrics(
    long queries, double sumReciprocalRank, double sumRank, long hits1, long hits3, long hits10) {

  public static final RankMetrics EMPTY = new RankMetrics(0, 0, 0, 0, 0, 0);

  public RankMetrics add(double rank) {
    return new RankMetrics(
        queries + 1,
        sumReciprocalRank + 1.0 / rank,
        sumRank + rank,
        hits1 + (rank <= 1 ? 1 : 0),
        hits3 + (rank <= 3 ? 1 : 0),
        hits10 + (rank <= 10 ? 1 : 0));
  }

  public RankMetrics plus(RankMetrics o) {
    return new RankMetrics(
        queries + o.queries,
        sumReciprocalRank + o.sumReciprocalRank,
        sumRank + o.sumRank,
        hits1 + o.hits1,
        hits3 + o.hits3,
        hits10 + o.hits10);
  }

  public double mrr() {
    return queries == 0 ? Double.NaN : sumReciprocalRank / queries;
  }

  public double meanRank() {
    return queries == 0 ? Double.NaN : sumRank / queries;
  }

  public double hitsAt1() {
    return queries == 0 ? Double.NaN : (double) hits1 / queries;
  }

  public double hitsAt3() {
    return queries == 0 ? Double.NaN : (double) hits3 / queries;
  }

  public double hitsAt10() {
    return queries == 0 ? Double.NaN : (double) hits10 / queries;
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "queries=%d MRR=%.4f MR=%.2f H@1=%.4f H@3=%.4f H@10=%.4f",
        queries,
        mrr(),
        meanRank(),
        hitsAt1(),
        hitsAt3(),
        hitsAt10());
  }
}
