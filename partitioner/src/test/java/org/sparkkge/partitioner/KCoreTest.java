package org.sparkkge.partitioner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KCoreTest {

  private static int[] toArray(Dataset<Row> rows, String column, int n, int missing) {
    int[] values = new int[n];
    Arrays.fill(values, missing);
    for (Row row : rows.select("id", column).collectAsList()) {
      values[row.getInt(0)] = row.getInt(1);
    }
    return values;
  }

  @Test
  void smallGraphWithLoopsParallelEdgesAndIsolatedEntity() {
    // Triangle 0-1-2 (2-core) with a parallel edge and reversed duplicate, a pendant 3 on 2,
    // 4 only in a self-loop, 5 never mentioned (numEntities = 6).
    int[][] triples = {{0, 0, 1}, {1, 1, 2}, {2, 0, 0}, {1, 2, 0}, {0, 0, 1}, {2, 3, 3}, {4, 0, 4}};
    Dataset<Row> data = KgFixture.dataset(triples);
    Dataset<Row> cores = KCore.coreNumbers(data, 6);
    assertArrayEquals(new int[] {2, 2, 2, 1, 0, 0}, toArray(cores, "core_number", 6, -9));

    List<Row> kept = KCore.reduce(data, cores, 2).collectAsList();
    assertEquals(5, kept.size(), "triangle triples including the parallel duplicates");

    Dataset<Row> layers = KCore.peripheryLayers(data, cores, 2);
    assertArrayEquals(new int[] {0, 0, 0, 1, -1, -1}, toArray(layers, "layer", 6, -9));

    KCoreStats stats = KCore.stats(data, cores);
    assertEquals(2, stats.maxCore());
    assertEquals(new KCoreStats.Level(0, 6, 7, 1.0, 1.0), stats.level(0));
    assertEquals(4, stats.level(1).entities());
    assertEquals(6, stats.level(1).triples());
    assertEquals(3, stats.level(2).entities());
    assertEquals(5, stats.level(2).triples());
    assertEquals(5.0 / 7, stats.level(2).tripleShare(), 1e-12);
    assertEquals(0, stats.level(3).entities());

    IllegalArgumentException tooFew =
        Assertions.assertThrows(IllegalArgumentException.class, () -> KCore.coreNumbers(data, 4));
    assertTrue(tooFew.getMessage().contains("entity count is 4"), tooFew.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"fb15k-237", "wn18rr"})
  void coreNumbersEqualBatageljZaversnik(String name) {
    KgFixture kg = KgFixture.load(name);
    int n = kg.numEntities();
    int[][] adjacency = KgFixture.simpleAdjacency(kg.train, n);
    int[] expected = ReferenceAlgorithms.coreNumbers(adjacency);

    Dataset<Row> cores = KCore.coreNumbers(kg.trainDataset(), n).cache();
    assertEquals(n, cores.count());
    int[] actual = toArray(cores, "core_number", n, -9);
    int mismatches = 0;
    for (int v = 0; v < n; v++) {
      if (expected[v] != actual[v]) {
        mismatches++;
      }
    }
    assertEquals(
        0, mismatches, name + ": entities whose core number differs from Batagelj-Zaversnik");
    int maxCore = Arrays.stream(expected).max().orElse(0);
    assertTrue(maxCore > 3, name + " should have a non-trivial core, max core " + maxCore);

    // Reduction, periphery and stats at a k in the middle of the range, against brute force.
    int k = Math.max(2, maxCore / 2);
    long keptExpected = 0;
    for (int[] t : kg.train) {
      if (expected[t[0]] >= k && expected[t[2]] >= k) {
        keptExpected++;
      }
    }
    assertEquals(keptExpected, KCore.reduce(kg.trainDataset(), cores, k).count());

    List<Integer> coreMembers = new ArrayList<>();
    for (int v = 0; v < n; v++) {
      if (expected[v] >= k) {
        coreMembers.add(v);
      }
    }
    int[] expectedLayers =
        ReferenceAlgorithms.bfs(
            adjacency, coreMembers.stream().mapToInt(Integer::intValue).toArray());
    assertArrayEquals(
        expectedLayers,
        toArray(KCore.peripheryLayers(kg.trainDataset(), cores, k), "layer", n, -9));

    KCoreStats stats = KCore.stats(kg.trainDataset(), cores);
    assertEquals(maxCore, stats.maxCore());
    assertEquals(coreMembers.size(), stats.level(k).entities());
    assertEquals(keptExpected, stats.level(k).triples());
    assertEquals(kg.train.length, stats.level(0).triples());
    cores.unpersist();
  }
}
