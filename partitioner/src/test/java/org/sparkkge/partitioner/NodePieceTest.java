package org.sparkkge.partitioner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class NodePieceTest {

  /**
   * Reference: per anchor a full BFS, then per entity the k best (distance, anchor index) pairs.
   */
  static int[][][] referenceNearestAnchors(
      int[][] adjacency, int[] sortedAnchors, int k, int maxHops) {
    int n = adjacency.length;
    int[][] distance = new int[sortedAnchors.length][];
    for (int a = 0; a < sortedAnchors.length; a++) {
      distance[a] = ReferenceAlgorithms.bfs(adjacency, new int[] {sortedAnchors[a]});
    }
    int[][][] result = new int[n][2][k];
    for (int v = 0; v < n; v++) {
      List<long[]> pairs = new ArrayList<>();
      for (int a = 0; a < sortedAnchors.length; a++) {
        int d = distance[a][v];
        if (d >= 0 && d <= maxHops) {
          pairs.add(new long[] {d, a});
        }
      }
      pairs.sort(Comparator.<long[]>comparingLong(p -> p[0]).thenComparingLong(p -> p[1]));
      Arrays.fill(result[v][0], -1);
      Arrays.fill(result[v][1], -1);
      for (int i = 0; i < Math.min(k, pairs.size()); i++) {
        result[v][0][i] = (int) pairs.get(i)[1];
        result[v][1][i] = (int) pairs.get(i)[0];
      }
    }
    return result;
  }

  static int[] referenceRelations(
      int[][] triples,
      int entity,
      int numRelations,
      int m,
      long seed,
      Map<Integer, Set<Integer>> incident) {
    Set<Integer> tokens = incident.getOrDefault(entity, Set.of());
    int[] picked =
        tokens.stream()
            .sorted(Comparator.comparingLong(t -> NodePiece.relationPriority(seed, entity, t)))
            .limit(m)
            .mapToInt(Integer::intValue)
            .sorted()
            .toArray();
    int[] padded = new int[m];
    Arrays.fill(padded, -1);
    System.arraycopy(picked, 0, padded, 0, picked.length);
    return padded;
  }

  static Map<Integer, Set<Integer>> incidentTokens(int[][] triples, int numRelations) {
    Map<Integer, Set<Integer>> incident = new HashMap<>();
    for (int[] t : triples) {
      incident.computeIfAbsent(t[0], x -> new HashSet<>()).add(t[1]);
      incident.computeIfAbsent(t[2], x -> new HashSet<>()).add(t[1] + numRelations);
    }
    return incident;
  }

  static int[] ints(Row row, String column) {
    return row.getList(row.fieldIndex(column)).stream().mapToInt(x -> (Integer) x).toArray();
  }

  /** Degree-ranked reference: top by distinct-neighbour count, ties by smaller id. */
  static Set<Integer> topByDegree(int[][] adjacency, int count) {
    Integer[] order = new Integer[adjacency.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        Comparator.<Integer>comparingInt(v -> -adjacency[v].length).thenComparingInt(v -> v));
    return new TreeSet<>(Arrays.asList(order).subList(0, count));
  }

  @Test
  void fb15kMixtureTokensEqualSingleMachineReference() {
    KgFixture kg = KgFixture.load("fb15k-237");
    int n = kg.numEntities();
    int r = kg.numRelations();
    // At most 10 PageRank rounds instead of 20 keep the test short; the ranking logic is the same.
    TokenizeConfig config =
        TokenizeConfig.DEFAULTS
            .withAnchors(300, 20, 15)
            .withSeed(7)
            .withPagerankTolerance(TokenizeConfig.DEFAULT_PAGERANK_TOLERANCE);
    NodePiece.Tokenization result = NodePiece.tokenize(kg.trainDataset(), n, r, config);

    int[] anchors = result.anchors().entityIds();
    assertEquals(300, anchors.length);
    assertEquals(300, Arrays.stream(anchors).distinct().count(), "anchors are unique");
    assertEquals(120, result.anchors().byDegree());
    assertEquals(120, result.anchors().byPagerank());
    assertEquals(60, result.anchors().byRandom());
    int[][] adjacency = KgFixture.simpleAdjacency(kg.train, n);
    Set<Integer> chosen = new HashSet<>();
    for (int a : anchors) {
      chosen.add(a);
    }
    assertTrue(
        chosen.containsAll(topByDegree(adjacency, 120)),
        "the 120 highest-degree entities are anchors");

    int[][][] expected = referenceNearestAnchors(adjacency, anchors, 20, config.maxHops());
    Map<Integer, Set<Integer>> incident = incidentTokens(kg.train, r);
    List<Row> rows = result.tokens().collectAsList();
    assertEquals(n, rows.size());
    int mismatches = 0;
    for (Row row : rows) {
      int id = row.getInt(row.fieldIndex("id"));
      if (!Arrays.equals(expected[id][0], ints(row, "anchors"))
          || !Arrays.equals(expected[id][1], ints(row, "distances"))
          || !Arrays.equals(
              referenceRelations(kg.train, id, r, 15, 7, incident), ints(row, "relations"))) {
        mismatches++;
      }
    }
    assertEquals(0, mismatches, "entities whose tokens differ from the single-machine reference");
    for (int i = 0; i < anchors.length; i++) {
      assertEquals(i, expected[anchors[i]][0][0], "an anchor's first token is itself");
    }

    List<Row> vocab = result.vocab().orderBy("token_id").collectAsList();
    assertEquals(300 + 2 * r + 1, vocab.size());
    assertEquals(anchors[5], vocab.get(5).getInt(3));
    assertEquals("inverse_relation", vocab.get(300 + r + 2).getString(1));
    assertEquals(r + 2, vocab.get(300 + r + 2).getInt(2));
    assertEquals("padding", vocab.get(300 + 2 * r).getString(1));
  }

  @Test
  void wn18rrDeepHierarchyWithHopLimitAndInductiveEntities() {
    KgFixture kg = KgFixture.load("wn18rr");
    int n = kg.numEntities();
    int r = kg.numRelations();
    int[][] adjacency = KgFixture.simpleAdjacency(kg.train, n);
    TokenizeConfig config =
        TokenizeConfig.DEFAULTS.withAnchors(200, 20, 4).withStrategy(Anchors.Strategy.DEGREE);
    NodePiece.Tokenization full = NodePiece.tokenize(kg.trainDataset(), n, r, config);
    Anchors.Selection selection = full.anchors();
    assertEquals(
        topByDegree(adjacency, 200),
        new TreeSet<>(Arrays.stream(selection.entityIds()).boxed().toList()));

    // Hop limit 4: WN18RR is deep, so many entities reach fewer than k anchors and are padded.
    int[][][] limited = referenceNearestAnchors(adjacency, selection.entityIds(), 20, 4);
    List<Row> limitedRows =
        NodePiece.anchorDistances(kg.trainDataset(), n, selection.entityIds(), 20, 4)
            .collectAsList();
    int padded = 0;
    for (Row row : limitedRows) {
      int id = row.getInt(0);
      assertArrayEquals(limited[id][0], ints(row, "anchors"), "anchors of " + id);
      assertArrayEquals(limited[id][1], ints(row, "distances"), "distances of " + id);
      if (limited[id][0][19] == -1) {
        padded++;
      }
    }
    assertTrue(padded > 1000, "expected many padded entities under a 4-hop limit, got " + padded);

    int[][][] expected =
        referenceNearestAnchors(adjacency, selection.entityIds(), 20, config.maxHops());
    Map<Integer, int[][]> known = new HashMap<>();
    Dataset<Row> tokens = full.tokens().cache();
    for (Row row : tokens.collectAsList()) {
      int id = row.getInt(0);
      assertArrayEquals(expected[id][0], ints(row, "anchors"), "anchors of " + id);
      assertArrayEquals(expected[id][1], ints(row, "distances"), "distances of " + id);
      known.put(id, new int[][] {ints(row, "anchors"), ints(row, "distances")});
    }

    // Inductive: valid/test triples that mention an entity absent from train.
    List<int[]> unseen = new ArrayList<>();
    for (String split : List.of("valid", "test")) {
      for (int[] t : kg.readSplit(split)) {
        if ((t[0] >= n || t[2] >= n) && t[1] < r) {
          unseen.add(t);
        }
      }
    }
    assertTrue(unseen.size() > 300, "WN18RR has about 420 such triples, found " + unseen.size());
    int[][] newTriples = unseen.toArray(new int[0][]);
    List<Row> inductive =
        NodePiece.tokenizeNew(KgFixture.dataset(newTriples), tokens, r, config).collectAsList();
    Map<Integer, Set<Integer>> incident = incidentTokens(newTriples, r);
    Set<Integer> newIds = new TreeSet<>();
    for (int[] t : newTriples) {
      for (int e : new int[] {t[0], t[2]}) {
        if (e >= n) {
          newIds.add(e);
        }
      }
    }
    assertEquals(newIds.size(), inductive.size());
    for (Row row : inductive) {
      int id = row.getInt(0);
      assertTrue(newIds.contains(id));
      Map<Integer, Integer> best = new HashMap<>();
      for (int[] t : newTriples) {
        int neighbour = t[0] == id ? t[2] : t[2] == id ? t[0] : -1;
        if (neighbour >= 0 && neighbour < n && neighbour != id) {
          int[][] tok = known.get(neighbour);
          for (int i = 0; i < 20 && tok[0][i] >= 0; i++) {
            best.merge(tok[0][i], tok[1][i] + 1, Math::min);
          }
        }
      }
      List<int[]> pairs = new ArrayList<>();
      best.forEach((anchor, d) -> pairs.add(new int[] {d, anchor}));
      pairs.sort(Comparator.<int[]>comparingInt(p -> p[0]).thenComparingInt(p -> p[1]));
      int[] anchorsExpected = new int[20];
      int[] distancesExpected = new int[20];
      Arrays.fill(anchorsExpected, -1);
      Arrays.fill(distancesExpected, -1);
      for (int i = 0; i < Math.min(20, pairs.size()); i++) {
        anchorsExpected[i] = pairs.get(i)[1];
        distancesExpected[i] = pairs.get(i)[0];
      }
      assertArrayEquals(anchorsExpected, ints(row, "anchors"), "inductive anchors of " + id);
      assertArrayEquals(distancesExpected, ints(row, "distances"), "inductive distances of " + id);
      assertArrayEquals(
          referenceRelations(newTriples, id, r, 4, config.seed(), incident),
          ints(row, "relations"),
          "inductive relations of " + id);
    }
    tokens.unpersist();
  }

  @Test
  void mixtureSelectionIsDeterministicForASeed() {
    KgFixture kg = KgFixture.load("umls");
    TokenizeConfig config = TokenizeConfig.DEFAULTS.withAnchors(50, 5, 3).withSeed(3);
    Anchors.Selection first = Anchors.select(kg.trainDataset(), config);
    assertEquals(first, Anchors.select(kg.trainDataset(), config));
    assertEquals(50, Arrays.stream(first.entityIds()).distinct().count());
    Anchors.Selection otherSeed = Anchors.select(kg.trainDataset(), config.withSeed(4));
    assertTrue(
        !Arrays.equals(first.entityIds(), otherSeed.entityIds()), "random share follows the seed");
    Anchors.Selection degreeOnly =
        Anchors.select(kg.trainDataset(), config.withStrategy(Anchors.Strategy.DEGREE));
    int[][] adjacency = KgFixture.simpleAdjacency(kg.train, kg.numEntities());
    assertEquals(
        topByDegree(adjacency, 50),
        new TreeSet<>(Arrays.stream(degreeOnly.entityIds()).boxed().toList()));
  }

  @Test
  void smallGraphPaddingRelationsAndErrors() {
    // Path 0-1-2-3, a self-loop on 3, entity 4 isolated (numEntities 5); relations 0..1.
    int[][] triples = {{0, 0, 1}, {2, 1, 1}, {2, 0, 3}, {3, 1, 3}};
    Dataset<Row> data = KgFixture.dataset(triples);
    List<Row> rows =
        NodePiece.anchorDistances(data, 5, new int[] {3, 0}, 3, 10).orderBy("id").collectAsList();
    // anchor index 0 = entity 0, index 1 = entity 3
    assertArrayEquals(new int[] {0, 1, -1}, ints(rows.get(0), "anchors"));
    assertArrayEquals(new int[] {0, 3, -1}, ints(rows.get(0), "distances"));
    assertArrayEquals(new int[] {0, 1, -1}, ints(rows.get(1), "anchors"));
    assertArrayEquals(new int[] {1, 2, -1}, ints(rows.get(1), "distances"));
    assertArrayEquals(new int[] {1, 0, -1}, ints(rows.get(2), "anchors"));
    assertArrayEquals(new int[] {1, 2, -1}, ints(rows.get(2), "distances"));
    assertArrayEquals(new int[] {1, 0, -1}, ints(rows.get(3), "anchors"));
    assertArrayEquals(new int[] {0, 3, -1}, ints(rows.get(3), "distances"));
    assertArrayEquals(new int[] {-1, -1, -1}, ints(rows.get(4), "anchors"));

    List<Row> relations = NodePiece.relationContext(data, 5, 2, 5, 1).orderBy("id").collectAsList();
    assertArrayEquals(new int[] {0, -1, -1, -1, -1}, ints(relations.get(0), "relations"));
    assertArrayEquals(new int[] {2, 3, -1, -1, -1}, ints(relations.get(1), "relations"));
    assertArrayEquals(new int[] {0, 1, -1, -1, -1}, ints(relations.get(2), "relations"));
    assertArrayEquals(new int[] {1, 2, 3, -1, -1}, ints(relations.get(3), "relations"));
    assertArrayEquals(new int[] {-1, -1, -1, -1, -1}, ints(relations.get(4), "relations"));

    assertThrows(
        IllegalArgumentException.class,
        () -> Anchors.select(data, TokenizeConfig.DEFAULTS.withAnchors(10, 2, 2)));
    // Asked to, tokenize uses all 4 entities with a non-loop edge instead of failing.
    NodePiece.Tokenization allFour =
        NodePiece.tokenize(data, 5, 2, TokenizeConfig.DEFAULTS.withAnchors(10, 2, 2), true);
    assertArrayEquals(new int[] {0, 1, 2, 3}, allFour.anchors().entityIds());
    assertEquals(5, allFour.tokens().count());
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                NodePiece.tokenize(
                    KgFixture.dataset(new int[][] {{0, 0, 0}, {1, 1, 1}}),
                    2,
                    2,
                    TokenizeConfig.DEFAULTS.withAnchors(1, 1, 1),
                    true));
    assertTrue(none.getMessage().contains("no anchor candidates"), none.getMessage());
    IllegalArgumentException bad =
        assertThrows(
            IllegalArgumentException.class,
            () -> TokenizeConfig.fromMap(Map.of("tokenize.ratios", "0.5,0.5,0.5")));
    assertTrue(bad.getMessage().contains("tokenize.ratios"));
    TokenizeConfig parsed =
        TokenizeConfig.fromMap(
            Map.of(
                "tokenize.anchors",
                "500",
                "tokenize.k",
                "50",
                "tokenize.m",
                "4",
                "tokenize.strategy",
                "pagerank"));
    assertEquals(500, parsed.anchors());
    assertEquals(50, parsed.k());
    assertEquals(Anchors.Strategy.PAGERANK, parsed.strategy());
  }
}
