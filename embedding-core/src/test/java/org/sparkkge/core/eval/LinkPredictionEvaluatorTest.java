package org.sparkkge.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;

class LinkPredictionEvaluatorTest {
  // DistMult, dim 2, small integers: every score is exact in float, and rows 0, 1 and 4 tie.
  static final float[] ENTITIES = {1, 0, 1, 0, 0, 1, 2, 0, 1, 0, 0, 0, 3, 1};
  static final float[] RELATIONS = {1, 1, 1, 0};
  static final int E = 7;
  static final TripleArrays TRAIN =
      new TripleArrays(
          new int[] {0, 2, 3, 1, 6}, new int[] {0, 0, 1, 1, 0}, new int[] {1, 4, 0, 6, 2});
  static final TripleArrays TEST =
      new TripleArrays(
          new int[] {0, 2, 3, 5, 6}, new int[] {0, 1, 1, 0, 0}, new int[] {4, 6, 4, 1, 6});

  @Test
  void matchesBruteForceFilteredRanksWithTies() {
    ModelParameters p =
        new ModelParameters(
            "distmult", E, 2, 2, 2, ENTITIES, RELATIONS, new float[E], new float[2], List.of());
    TripleArrays known = TripleArrays.concat(TRAIN, TEST);
    for (int batch : new int[] {1, 2, 64}) {
      EvaluationResult r =
          LinkPredictionEvaluator.evaluate(p, TEST, known, 0, batch, 7, Device.cpu());
      Reference ref = bruteForce(known);
      assertFalse(r.sampled());
      assertEquals(10, r.realistic().queries());
      assertEquals(ref.realistic.mrr(), r.realistic().mrr(), 1e-9);
      assertEquals(ref.realistic.meanRank(), r.realistic().meanRank(), 1e-9);
      assertEquals(ref.realistic.hitsAt1(), r.realistic().hitsAt1(), 1e-9);
      assertEquals(ref.realistic.hitsAt3(), r.realistic().hitsAt3(), 1e-9);
      assertEquals(ref.realistic.hitsAt10(), r.realistic().hitsAt10(), 1e-9);
      assertEquals(ref.optimistic.mrr(), r.optimistic().mrr(), 1e-9);
      assertEquals(ref.pessimistic.mrr(), r.pessimistic().mrr(), 1e-9);
      assertTrue(r.optimistic().mrr() > r.pessimistic().mrr(), "the fixture has ties");
      assertEquals(ref.perRelation.keySet(), r.perRelation().keySet());
      for (int rel : ref.perRelation.keySet()) {
        assertEquals(ref.perRelation.get(rel).mrr(), r.perRelation().get(rel).mrr(), 1e-9);
        assertEquals(ref.perRelation.get(rel).queries(), r.perRelation().get(rel).queries());
      }
      assertTrue(r.asMap().containsKey("filtered_mrr"));
    }
  }

  @Test
  void handCheckedRankOfOneQuery() {
    // (0, r0, ?) -> 4: query row (1,0)*(1,1) = (1,0); scores per entity: 1,1,0,2,1,0,3.
    // Better: 3 (2), 6 (3). Ties: 0, 1 (1 is a known answer of (0,r0) -> filtered) -> optimistic 3,
    // pessimistic 4.
    double[] ranks =
        LinkPredictionEvaluator.rankAll(
            new float[] {1, 1, 0, 2, 1, 0, 3}, 0, 4, 7, new int[] {1, 4});
    assertEquals(3, ranks[0]);
    assertEquals(4, ranks[1]);
  }

  @Test
  void sampledModeIsLabelledAndRanksWithinTheSample() {
    ModelParameters p =
        new ModelParameters(
            "distmult", E, 2, 2, 2, ENTITIES, RELATIONS, new float[E], new float[2], List.of());
    TripleArrays known = TripleArrays.concat(TRAIN, TEST);
    EvaluationResult r = LinkPredictionEvaluator.evaluate(p, TEST, known, 3, 2, 7, Device.cpu());
    assertTrue(r.sampled());
    assertEquals(3, r.candidates());
    assertTrue(r.realistic().meanRank() <= 4.0);
    Map<String, Double> m = r.asMap();
    assertTrue(m.containsKey("sampled3_filtered_mrr"), m.toString());
    assertFalse(m.containsKey("filtered_mrr"));
    assertTrue(r.toString().startsWith("sampled3_filtered"));
    // asking for at least as many candidates as entities is the full ranking
    EvaluationResult full = LinkPredictionEvaluator.evaluate(p, TEST, known, E, 2, 7, Device.cpu());
    assertFalse(full.sampled());
  }

  @Test
  void aNanCandidateScoreIsAnErrorNamingTheFirstQuery() {
    float[] entities = ENTITIES.clone();
    entities[5 * 2] = Float.NaN; // entity 5 diverged
    ModelParameters p =
        new ModelParameters(
            "distmult", E, 2, 2, 2, entities, RELATIONS, new float[E], new float[2], List.of());
    TripleArrays known = TripleArrays.concat(TRAIN, TEST);
    // brute force: a query is invalid when its key entity is 5 (every score NaN) or 5 is a compared
    // candidate
    Set<String> truth = truth(known);
    long invalid = 0;
    for (int i = 0; i < TEST.size(); i++) {
      int h = TEST.heads()[i], r = TEST.relations()[i], t = TEST.tails()[i];
      if (h == 5 || (t != 5 && !truth.contains(h + " " + r + " 5"))) invalid++;
      if (t == 5 || (h != 5 && !truth.contains("5 " + r + " " + t))) invalid++;
    }
    for (int batch : new int[] {1, 64}) {
      NonFiniteScoreException e =
          assertThrows(
              NonFiniteScoreException.class,
              () -> LinkPredictionEvaluator.evaluate(p, TEST, known, 0, batch, 7, Device.cpu()));
      assertEquals(invalid, e.invalidQueries());
      assertEquals(2L * TEST.size(), e.queries());
      // test triple 0 = (0, r0, 4): its tail query compares candidate 5
      assertEquals(new NonFiniteScoreException.Query(true, 0, 0, 4, 5, Float.NaN), e.first());
      assertTrue(
          e.getMessage()
              .startsWith(
                  "non-finite scores: "
                      + invalid
                      + " of 10 queries have a candidate "
                      + "scoring NaN or infinite, first the tail query (0, 0, ?) with answer 4: candidate 5 scores NaN"),
          e.getMessage());
      assertTrue(
          e.describe(id -> "e" + id, id -> "r" + id)
              .contains(
                  "tail query (0 'e0', 0 'r0', ?) with "
                      + "answer 4 'e4': candidate 5 'e5' scores NaN"),
          e.describe(id -> "e" + id, id -> "r" + id));
    }
    // sampled mode: the same rule among the sampled candidates
    assertThrows(
        NonFiniteScoreException.class,
        () -> LinkPredictionEvaluator.evaluate(p, TEST, known, E - 1, 2, 7, Device.cpu()));
  }

  /**
   * DistMult, relation (1, -1): entities 0 = (a, a) and 1 = (a, -a) with a = 1.7e19 score a^2 + a^2
   * = +Inf with each other (float overflow) but 0 with themselves and finite with the small
   * entities. So the true answer of both queries of (0, r0, 1) scores +Inf and every candidate is
   * finite: the answer ranks last (4 candidates: rank 5), where comparing with +Inf gave it rank 1
   * before.
   */
  @Test
  void anInfiniteTrueScoreRanksLastAndIsCounted() {
    float a = 1.7e19f;
    float[] entities = {a, a, a, -a, 1, 0, 0, 1, 1, 1};
    ModelParameters p =
        new ModelParameters(
            "distmult",
            5,
            1,
            2,
            2,
            entities,
            new float[] {1, -1},
            new float[5],
            new float[1],
            List.of());
    TripleArrays test = new TripleArrays(new int[] {0}, new int[] {0}, new int[] {1});
    EvaluationResult r = LinkPredictionEvaluator.evaluate(p, test, test, 0, 4, 7, Device.cpu());
    assertEquals(2, r.nonFiniteTrueScores());
    assertEquals(2, r.realistic().queries());
    assertEquals(5.0, r.realistic().meanRank(), 0.0);
    assertEquals(5.0, r.optimistic().meanRank(), 0.0, "no tie with the other candidates either");
    assertEquals(0.2, r.realistic().mrr(), 1e-12);
    assertEquals(
        0.0, r.realistic().hitsAt3(), "was rank 1 (hits@1 = 1) when +Inf compared as a number");
    assertEquals(2.0, r.asMap().get("filtered_nonfinite_true_scores"));
    assertTrue(
        r.toString().contains("2 true answers with a NaN/infinite score ranked last"),
        r.toString());
    // sampled: last among the sampled candidates, never first
    EvaluationResult sampled =
        LinkPredictionEvaluator.evaluate(p, test, test, 3, 4, 7, Device.cpu());
    assertEquals(2, sampled.nonFiniteTrueScores());
    assertEquals(0.0, sampled.realistic().hitsAt1());
    assertEquals(2.0, sampled.asMap().get("sampled3_filtered_nonfinite_true_scores"));
  }

  @Test
  void countsOfBlocksAddUpToTheCountsOfAllCandidates() {
    // scores of 7 candidates, answer 4 (score 1), filtered 1 and 5; candidate 6 is NaN, 2 is +Inf
    float[] s = {1, 1, Float.POSITIVE_INFINITY, 2, 1, Float.NaN, Float.NaN};
    int[] filtered = {1, 4, 5};
    QueryCounts all = QueryCounts.count(s, 0, 7, 1f, 0, 4, filtered);
    assertEquals(new QueryCounts(2, 1, 4, 2, 2, Float.POSITIVE_INFINITY, false), all);
    QueryCounts blocks =
        QueryCounts.count(s, 0, 3, 1f, 0, 4, filtered)
            .plus(QueryCounts.count(s, 3, 2, 1f, 3, 4, filtered))
            .plus(QueryCounts.count(s, 5, 2, 1f, 5, 4, filtered));
    assertEquals(all, blocks);
    assertTrue(all.invalid());
    // with the NaN and +Inf filtered, the query is valid; a NaN answer ranks last among the 2
    // compared
    QueryCounts nanAnswer = QueryCounts.count(s, 0, 7, Float.NaN, 0, 6, new int[] {2, 5});
    assertFalse(nanAnswer.invalid());
    assertEquals(4, nanAnswer.candidates());
    assertEquals(5, nanAnswer.optimisticRank());
    assertEquals(5, nanAnswer.pessimisticRank());
  }

  private static Set<String> truth(TripleArrays known) {
    Set<String> truth = new HashSet<>();
    for (int i = 0; i < known.size(); i++) {
      truth.add(known.heads()[i] + " " + known.relations()[i] + " " + known.tails()[i]);
    }
    return truth;
  }

  private record Reference(
      RankMetrics realistic,
      RankMetrics optimistic,
      RankMetrics pessimistic,
      Map<Integer, RankMetrics> perRelation) {}

  private static Reference bruteForce(TripleArrays known) {
    Set<String> truth = new HashSet<>();
    for (int i = 0; i < known.size(); i++) {
      truth.add(known.heads()[i] + " " + known.relations()[i] + " " + known.tails()[i]);
    }
    RankMetrics real = RankMetrics.EMPTY, opt = RankMetrics.EMPTY, pess = RankMetrics.EMPTY;
    Map<Integer, RankMetrics> rel = new TreeMap<>();
    for (int i = 0; i < TEST.size(); i++) {
      int h = TEST.heads()[i], r = TEST.relations()[i], t = TEST.tails()[i];
      for (boolean tail : new boolean[] {true, false}) {
        double target = tail ? score(h, r, t) : score(h, r, t);
        int greater = 0, equal = 0;
        for (int e = 0; e < E; e++) {
          int hh = tail ? h : e, tt = tail ? e : t;
          if ((tail ? e == t : e == h) || truth.contains(hh + " " + r + " " + tt)) continue;
          double s = score(hh, r, tt);
          if (s > target) greater++;
          else if (s == target) equal++;
        }
        double o = greater + 1, pe = greater + equal + 1, re = (o + pe) / 2;
        real = real.add(re);
        opt = opt.add(o);
        pess = pess.add(pe);
        rel.merge(r, RankMetrics.EMPTY.add(re), RankMetrics::plus);
      }
    }
    return new Reference(real, opt, pess, rel);
  }

  private static double score(int h, int r, int t) {
    double s = 0;
    for (int j = 0; j < 2; j++)
      s += ENTITIES[h * 2 + j] * RELATIONS[r * 2 + j] * ENTITIES[t * 2 + j];
    return s;
  }
}
