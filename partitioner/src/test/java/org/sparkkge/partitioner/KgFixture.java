package org.sparkkge.partitioner;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Test-side loader: a shared benchmark KG split as dense-id triples (ids by first appearance), both
 * as plain arrays for the single-machine references and as a Spark dataset.
 */
final class KgFixture {
  static final StructType TRIPLE_SCHEMA =
      new StructType()
          .add("head", DataTypes.IntegerType, false)
          .add("relation", DataTypes.IntegerType, false)
          .add("tail", DataTypes.IntegerType, false);

  private static final Map<String, KgFixture> CACHE = new ConcurrentHashMap<>();

  final String name;
  final Map<String, Integer> entityIds = new HashMap<>();
  final Map<String, Integer> relationIds = new HashMap<>();
  final int[][] train;
  private final int trainEntities;
  private final int trainRelations;
  private Dataset<Row> trainDataset;

  private KgFixture(String name, int[][] train, int trainEntities, int trainRelations) {
    this.name = name;
    this.train = train;
    this.trainEntities = trainEntities;
    this.trainRelations = trainRelations;
  }

  static Path datasetsRoot() {
    String root = System.getProperty("kge.repo.root");
    if (root == null) {
      fail("system property kge.repo.root is not set (Surefire sets it to the repository root)");
    }
    return Path.of(root, "..", "shared", "datasets").normalize();
  }

  static synchronized KgFixture load(String name) {
    return CACHE.computeIfAbsent(name, KgFixture::read);
  }

  private static KgFixture read(String name) {
    KgFixture fixture = new KgFixture(name, null, 0, 0);
    int[][] triples = fixture.readSplit("train");
    KgFixture loaded =
        new KgFixture(name, triples, fixture.entityIds.size(), fixture.relationIds.size());
    loaded.entityIds.putAll(fixture.entityIds);
    loaded.relationIds.putAll(fixture.relationIds);
    return loaded;
  }

  /** Reads a split; entities and relations unseen so far get the next dense ids. */
  synchronized int[][] readSplit(String split) {
    Path file = datasetsRoot().resolve(name).resolve(split + ".txt.gz");
    if (!Files.isRegularFile(file)) {
      fail(
          "dataset file missing: "
              + file
              + " (expected the shared benchmark datasets next to the repo)");
    }
    List<int[]> rows = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        String[] parts = line.split("\t");
        if (parts.length != 3) {
          fail(file + ":" + number + ": expected 3 tab-separated fields, found " + parts.length);
        }
        int head = entityIds.computeIfAbsent(parts[0], key -> entityIds.size());
        int relation = relationIds.computeIfAbsent(parts[1], key -> relationIds.size());
        int tail = entityIds.computeIfAbsent(parts[2], key -> entityIds.size());
        rows.add(new int[] {head, relation, tail});
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
    return rows.toArray(new int[0][]);
  }

  /** Entities of the train split (ids 0..n-1); later splits' new entities get ids from n on. */
  int numEntities() {
    return trainEntities;
  }

  int numRelations() {
    return trainRelations;
  }

  synchronized Dataset<Row> trainDataset() {
    if (trainDataset == null) {
      trainDataset = dataset(train).cache();
    }
    return trainDataset;
  }

  static Dataset<Row> dataset(int[][] triples) {
    SparkSession spark = TestSpark.get();
    List<Row> rows = new ArrayList<>(triples.length);
    for (int[] t : triples) {
      rows.add(RowFactory.create(t[0], t[1], t[2]));
    }
    return spark.createDataFrame(rows, TRIPLE_SCHEMA).repartition(4);
  }

  /** Adjacency lists of the undirected simple graph (no self-loops, no parallel edges), sorted. */
  static int[][] simpleAdjacency(int[][] triples, int numEntities) {
    List<TreeSet<Integer>> sets = new ArrayList<>(numEntities);
    for (int i = 0; i < numEntities; i++) {
      sets.add(new TreeSet<>());
    }
    for (int[] t : triples) {
      if (t[0] != t[2]) {
        sets.get(t[0]).add(t[2]);
        sets.get(t[2]).add(t[0]);
      }
    }
    int[][] adjacency = new int[numEntities][];
    for (int i = 0; i < numEntities; i++) {
      adjacency[i] = sets.get(i).stream().mapToInt(Integer::intValue).toArray();
    }
    return adjacency;
  }
}
