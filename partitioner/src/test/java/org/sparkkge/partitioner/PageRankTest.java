package org.sparkkge.partitioner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * GraphX PageRank against a single-machine power iteration; anchor choice by rank, any
 * partitioning.
 */
class PageRankTest {
  private static final double DAMPING = 0.85;

  private static Map<Integer, Double> ranks(KgFixture kg, double tolerance) {
    Map<Integer, Double> ranks = new HashMap<>();
    for (Row row : Anchors.pageRank(kg.trainDataset(), tolerance, DAMPING).collectAsList()) {
      ranks.put(row.getInt(0), row.getDouble(1));
    }
    return ranks;
  }

  /** Single-machine power iteration in doubles from r = 1 (vertices without an edge stay 0). */
  static double[] referenceRanks(int[][] adjacency, int iterations) {
    double[] rank = new double[adjacency.length];
    for (int v = 0; v < rank.length; v++) {
      rank[v] = adjacency[v].length == 0 ? 0 : 1;
    }
    for (int round = 0; round < iterations; round++) {
      double[] next = new double[rank.length];
      for (int v = 0; v < adjacency.length; v++) {
        for (int u : adjacency[v]) {
          next[u] += rank[v] / adjacency[v].length;
        }
      }
      for (int v = 0; v < next.length; v++) {
        next[v] = adjacency[v].length == 0 ? 0 : (1 - DAMPING) + DAMPING * next[v];
      }
      rank = next;
    }
    return rank;
  }

  @Test
  void ranksApproachTheConvergedPowerIterationAsTheToleranceTightens() {
    KgFixture kg = KgFixture.load("umls");
    int[][] adjacency = KgFixture.simpleAdjacency(kg.train, kg.numEntities());
    // 300 iterations: 0.85^300 ~ 1e-21, converged to the last bit.
    double[] reference = referenceRanks(adjacency, 300);
    double looseError = 0;
    double tightError = 0;
    Map<Integer, Double> loose = ranks(kg, 1e-1);
    Map<Integer, Double> tight = ranks(kg, TokenizeConfig.DEFAULT_PAGERANK_TOLERANCE);
    assertEquals(loose.keySet(), tight.keySet());
    int withEdges = 0;
    for (int v = 0; v < adjacency.length; v++) {
      if (adjacency[v].length > 0) {
        withEdges++;
        looseError = Math.max(looseError, Math.abs(loose.get(v) - reference[v]));
        tightError = Math.max(tightError, Math.abs(tight.get(v) - reference[v]));
      }
    }
    assertEquals(withEdges, tight.size(), "one rank per vertex with an edge");
    // Each vertex stops passing changes on below the tolerance; what it holds back is at most
    // tolerance per superstep, damped by d each hop: within tolerance / (1 - d) per vertex, times
    // the (small) number of supersteps in which it held back.
    assertTrue(tightError < 1e-2, "tolerance 1e-3 (the default): largest error " + tightError);
    assertTrue(looseError < 2, "tolerance 1e-1: largest error " + looseError);
    System.out.printf(
        "PageRank largest error: %.3g at tolerance 1e-1, %.3g at 1e-3%n", looseError, tightError);
    assertTrue(
        tightError < looseError / 10,
        "tighter tolerance, closer ranks: " + tightError + " vs " + looseError);
  }

  @Test
  void anchorsAreIdenticalForAnyPartitioningAndMatchTheReferenceTopN() {
    KgFixture kg = KgFixture.load("umls");
    // The n best of the converged single-machine PageRank (ties by smaller id), for the first n
    // >= 20 with a clear gap after it: at tolerance 1e-3 every rank is within 1e-2 of the reference
    // (the test above), so no near-tie may straddle the cut.
    int[][] adjacency = KgFixture.simpleAdjacency(kg.train, kg.numEntities());
    double[] reference = referenceRanks(adjacency, 300);
    Integer[] order = new Integer[reference.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        (x, y) ->
            reference[x] != reference[y]
                ? Double.compare(reference[y], reference[x])
                : Integer.compare(x, y));
    int n = 20;
    while (reference[order[n - 1]] - reference[order[n]] <= 2e-2) {
      n++;
    }
    assertTrue(n < 60, "a clear gap among the first 60 ranks: " + n);
    Set<Integer> expected = new TreeSet<>(Arrays.asList(order).subList(0, n));

    SparkSession spark = TestSpark.get();
    String partitions = spark.conf().get("spark.sql.shuffle.partitions");
    TokenizeConfig config =
        TokenizeConfig.DEFAULTS
            .withAnchors(n, 5, 3)
            .withStrategy(Anchors.Strategy.PAGERANK)
            .withPagerankTolerance(TokenizeConfig.DEFAULT_PAGERANK_TOLERANCE);
    Anchors.Selection four;
    Anchors.Selection three;
    try {
      four = Anchors.select(kg.trainDataset(), config);
      spark.conf().set("spark.sql.shuffle.partitions", "3");
      three = Anchors.select(kg.trainDataset(), config);
    } finally {
      spark.conf().set("spark.sql.shuffle.partitions", partitions);
    }
    assertEquals(four, three);
    assertEquals(n, four.byPagerank());
    Set<Integer> chosen = new TreeSet<>();
    for (int id : four.entityIds()) {
      chosen.add(id);
    }
    assertEquals(expected, chosen);
  }

  @Test
  void equalRanksAreOrderedByIdWhateverTheirLastBits() {
    // 1 + 1e-15 and 1 differ only in float noise: the same score, so the smaller id wins the tie.
    assertEquals(Anchors.rankScore(1.0), Anchors.rankScore(1.0 + 1e-15));
    assertTrue(Anchors.rankScore(1.0 + 1e-8) > Anchors.rankScore(1.0));
  }

  @Test
  void settingsAndArgumentsAreChecked() {
    TokenizeConfig parsed = TokenizeConfig.fromMap(Map.of("tokenize.pagerank.tolerance", "1e-6"));
    assertEquals(1e-6, parsed.pagerankTolerance());
    assertEquals(
        TokenizeConfig.DEFAULT_PAGERANK_TOLERANCE, TokenizeConfig.DEFAULTS.pagerankTolerance());
    for (String bad : new String[] {"-1", "0"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> TokenizeConfig.fromMap(Map.of("tokenize.pagerank.tolerance", bad)));
      assertTrue(
          e.getMessage().contains("tokenize.pagerank.tolerance must be a finite number > 0"),
          e.getMessage());
    }
    IllegalArgumentException text =
        assertThrows(
            IllegalArgumentException.class,
            () -> TokenizeConfig.fromMap(Map.of("tokenize.pagerank.tolerance", "small")));
    assertTrue(text.getMessage().contains("tokenize.pagerank.tolerance"), text.getMessage());
    IllegalArgumentException removed =
        assertThrows(
            IllegalArgumentException.class,
            () -> TokenizeConfig.fromMap(Map.of("tokenize.pagerank.iterations", "20")));
    assertTrue(
        removed.getMessage().contains("unknown configuration key 'tokenize.pagerank.iterations'"),
        removed.getMessage());
    assertEquals(
        0,
        Anchors.select(
                KgFixture.load("umls").trainDataset(),
                TokenizeConfig.DEFAULTS.withAnchors(10, 2, 2).withStrategy(Anchors.Strategy.DEGREE))
            .byPagerank());
  }
}
