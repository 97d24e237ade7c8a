package org.sparkkge.jobs.ranking;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.NonFiniteScoreException;
import org.sparkkge.core.eval.QueryCounts;
import org.sparkkge.core.eval.RankMetrics;

/**
 * Mergeable metric sums of ranked queries, the distributed counterpart of embedding-core's
 * evaluator accumulator: realistic rank = (optimistic + pessimistic) / 2, also kept per direction
 * and per relation. Reciprocal ranks are summed exactly ({@link ExactSum}), so the metrics do not
 * depend on how the queries were split into groups and blocks (the broadcast and blockwise paths
 * agree bit for bit). Non-finite scores as {@link QueryCounts}: invalid queries are counted and the
 * first (lowest query id, tail query first) is kept for the error; true answers with a non-finite
 * score rank last and are counted.
 */
final class RankTally implements Serializable {
  private final Sums realistic = new Sums();
  private final Sums optimistic = new Sums();
  private final Sums pessimistic = new Sums();
  private final Sums tails = new Sums();
  private final Sums heads = new Sums();
  private final TreeMap<Integer, Sums> perRelation = new TreeMap<>();
  private final TreeMap<Integer, Sums> perRegion = new TreeMap<>();
  private long queries;
  private long nonFiniteTrueScores;
  private long invalid;
  private long firstInvalid = Long.MAX_VALUE;
  private NonFiniteScoreException.Query firstQuery;

  /** Adds both queries of one test triple, their counts summed over all candidates. */
  RankTally add(BlockRanker.Counts c) {
    add(c, true, c.tailQuery());
    add(c, false, c.headQuery());
    return this;
  }

  private void add(BlockRanker.Counts c, boolean tailDirection, QueryCounts q) {
    queries++;
    if (q.invalid()) {
      invalid++;
      long order = 2 * c.id() + (tailDirection ? 0 : 1);
      if (order < firstInvalid) {
        firstInvalid = order;
        firstQuery =
            new NonFiniteScoreException.Query(
                tailDirection,
                c.head(),
                c.relation(),
                c.tail(),
                q.firstNonFinite(),
                q.firstNonFiniteScore());
      }
      return;
    }
    if (q.answerNonFinite()) {
      nonFiniteTrueScores++;
    }
    add(c.relation(), c.region(), tailDirection, q.optimisticRank(), q.pessimisticRank());
  }

  /** Adds one query's filtered ranks. */
  private RankTally add(
      int relation, int region, boolean tailDirection, long optimisticRank, long pessimisticRank) {
    double real = (optimisticRank + pessimisticRank) / 2.0;
    realistic.add(real);
    optimistic.add(optimisticRank);
    pessimistic.add(pessimisticRank);
    (tailDirection ? tails : heads).add(real);
    perRelation.computeIfAbsent(relation, r -> new Sums()).add(real);
    perRegion.computeIfAbsent(region, r -> new Sums()).add(real);
    return this;
  }

  RankTally plus(RankTally other) {
    realistic.addAll(other.realistic);
    optimistic.addAll(other.optimistic);
    pessimistic.addAll(other.pessimistic);
    tails.addAll(other.tails);
    heads.addAll(other.heads);
    other.perRelation.forEach((r, s) -> perRelation.computeIfAbsent(r, k -> new Sums()).addAll(s));
    other.perRegion.forEach((r, s) -> perRegion.computeIfAbsent(r, k -> new Sums()).addAll(s));
    queries += other.queries;
    nonFiniteTrueScores += other.nonFiniteTrueScores;
    invalid += other.invalid;
    if (other.firstInvalid < firstInvalid) {
      firstInvalid = other.firstInvalid;
      firstQuery = other.firstQuery;
    }
    return this;
  }

  /** Metrics of the ranked queries per region tag of their test triple. */
  Map<Integer, RankMetrics> perRegion() {
    Map<Integer, RankMetrics> m = new TreeMap<>();
    perRegion.forEach((r, s) -> m.put(r, s.metrics()));
    return m;
  }

  /** Queries added, ranked or invalid. */
  long queries() {
    return queries;
  }

  /**
   * As embedding-core's result type: ranked against all {@code candidates} entities, filtered.
   *
   * @throws NonFiniteScoreException when some query had a candidate with a NaN or infinite score
   */
  EvaluationResult toResult(int candidates) {
    if (invalid > 0) {
      throw new NonFiniteScoreException(invalid, queries, firstQuery);
    }
    Map<Integer, RankMetrics> rel = new TreeMap<>();
    perRelation.forEach((r, s) -> rel.put(r, s.metrics()));
    return new EvaluationResult(
        false,
        candidates,
        realistic.metrics(),
        optimistic.metrics(),
        pessimistic.metrics(),
        tails.metrics(),
        heads.metrics(),
        rel,
        nonFiniteTrueScores);
  }

  /**
   * RankMetrics' fields with exact sums (ranks are half-integers: their sum is exact in a double
   * too).
   */
  private static final class Sums implements Serializable {
    long queries;
    final ExactSum reciprocal = new ExactSum();
    final ExactSum ranks = new ExactSum();
    long hits1;
    long hits3;
    long hits10;

    void add(double rank) {
      queries++;
      reciprocal.add(1.0 / rank);
      ranks.add(rank);
      hits1 += rank <= 1 ? 1 : 0;
      hits3 += rank <= 3 ? 1 : 0;
      hits10 += rank <= 10 ? 1 : 0;
    }

    void addAll(Sums o) {
      queries += o.queries;
      reciprocal.addAll(o.reciprocal);
      ranks.addAll(o.ranks);
      hits1 += o.hits1;
      hits3 += o.hits3;
      hits10 += o.hits10;
    }

    RankMetrics metrics() {
      return new RankMetrics(queries, reciprocal.value(), ranks.value(), hits1, hits3, hits10);
    }
  }
}
