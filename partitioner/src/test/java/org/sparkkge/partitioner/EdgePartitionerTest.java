package org.sparkkge.partitioner;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

class EdgePartitionerTest {

  private static List<String> sortedTriples(Dataset<Row> rows) {
    List<String> out = new ArrayList<>();
    for (Row row : rows.select("head", "relation", "tail").collectAsList()) {
      out.add(row.getInt(0) + "," + row.getInt(1) + "," + row.getInt(2));
    }
    out.sort(null);
    return out;
  }

  /** Brute-force quality from the collected rows (test-sized data only). */
  private static void assertQualityMatchesBruteForce(
      Dataset<Row> partitioned, int shards, PartitionQuality q) {
    List<Row> rows = partitioned.collectAsList();
    long[] sizes = new long[shards];
    Map<Integer, Set<Integer>> entityShards = new HashMap<>();
    Map<Integer, Set<Integer>> relationShards = new HashMap<>();
    for (Row row : rows) {
      int shard = row.getInt(3);
      sizes[shard]++;
      entityShards.computeIfAbsent(row.getInt(0), x -> new HashSet<>()).add(shard);
      entityShards.computeIfAbsent(row.getInt(2), x -> new HashSet<>()).add(shard);
      relationShards.computeIfAbsent(row.getInt(1), x -> new HashSet<>()).add(shard);
    }
    assertArrayEquals(sizes, q.shardSizes());
    long max = Arrays.stream(sizes).max().orElse(0);
    assertEquals(max / ((double) rows.size() / shards), q.balance(), 1e-12);
    double replication =
        entityShards.values().stream().mapToInt(Set::size).sum() / (double) entityShards.size();
    assertEquals(replication, q.replicationFactor(), 1e-12);
    double everywhere =
        relationShards.values().stream().filter(s -> s.size() == shards).count()
            / (double) relationShards.size();
    assertEquals(everywhere, q.relationsInEveryShard(), 1e-12);
    assertEquals(entityShards.size(), q.entities());
  }

  @Test
  void greedyPlacementIsLongestProcessingTimeFirst() {
    assertArrayEquals(
        new int[] {0, 1, 1, 0, 1, 0},
        EdgePartitioner.greedyPlacement(new long[] {5, 4, 3, 3, 2, 1}, 2));
    assertArrayEquals(
        new int[] {0, 1, 2}, EdgePartitioner.greedyPlacement(new long[] {1, 1, 1}, 3));
  }

  @Test
  void qualityOfAHandMadePartition() {
    Dataset<Row> rows =
        TestSpark.get()
            .createDataFrame(
                List.of(
                    RowFactory.create(0, 0, 1, 0),
                    RowFactory.create(1, 0, 2, 1),
                    RowFactory.create(2, 1, 0, 1)),
                EdgePartitioner.SCHEMA);
    PartitionQuality q = EdgePartitioner.quality(rows, 3, "manual");
    assertArrayEquals(new long[] {1, 2, 0}, q.shardSizes());
    assertEquals(2.0, q.balance(), 1e-12);
    assertEquals(5.0 / 3, q.replicationFactor(), 1e-12);
    assertEquals(0.0, q.relationsInEveryShard(), 1e-12);
    PartitionQuality two = EdgePartitioner.quality(rows, 2, "manual");
    assertEquals(2 / 1.5, two.balance(), 1e-12);
    assertEquals(0.5, two.relationsInEveryShard(), 1e-12);
  }

  @Test
  void randomAndBucketStrategiesOnUmls() {
    KgFixture kg = KgFixture.load("umls");
    Dataset<Row> triples = kg.trainDataset();
    List<String> original = sortedTriples(triples);

    Dataset<Row> random =
        EdgePartitioner.partition(triples, EdgePartitioner.Strategy.RANDOM, 4, 11, null).cache();
    assertEquals(original, sortedTriples(random), "every triple exactly once");
    PartitionQuality rq = EdgePartitioner.quality(random, 4, "random");
    assertQualityMatchesBruteForce(random, 4, rq);
    assertEquals(kg.train.length, rq.triples());
    assertTrue(rq.balance() < 1.1, "hash sharding of 5k triples is nearly balanced: " + rq);
    List<Row> again =
        EdgePartitioner.partition(triples, EdgePartitioner.Strategy.RANDOM, 4, 11, null)
            .orderBy("head", "relation", "tail", "shard")
            .collectAsList();
    assertEquals(
        random.orderBy("head", "relation", "tail", "shard").collectAsList(), again, "seeded");
    assertNotEquals(
        again,
        EdgePartitioner.partition(triples, EdgePartitioner.Strategy.RANDOM, 4, 12, null)
            .orderBy("head", "relation", "tail", "shard")
            .collectAsList());

    Dataset<Row> buckets =
        EdgePartitioner.partition(triples, EdgePartitioner.Strategy.BUCKET2D, 4, 11, null).cache();
    assertEquals(original, sortedTriples(buckets));
    Dataset<Row> keyed =
        buckets
            .withColumn("bh", EdgePartitioner.entityBucket(col("head"), 11, 2))
            .withColumn("bt", EdgePartitioner.entityBucket(col("tail"), 11, 2));
    // P = 4 = 2x2: each shard holds exactly one edge bucket, and each edge bucket one shard.
    assertEquals(
        0,
        keyed
            .groupBy("bh", "bt")
            .agg(countDistinct("shard").as("n"))
            .filter(col("n").notEqual(1))
            .count());
    assertEquals(
        0,
        keyed
            .groupBy("shard")
            .agg(countDistinct("bh", "bt").as("n"))
            .filter(col("n").notEqual(1))
            .count());
    PartitionQuality bq = EdgePartitioner.quality(buckets, 4, "bucket2d");
    assertQualityMatchesBruteForce(buckets, 4, bq);
    assertTrue(
        bq.replicationFactor() <= 3.0, "an entity meets at most 2B-1 = 3 edge buckets: " + bq);
    assertTrue(bq.replicationFactor() < rq.replicationFactor(), bq + " vs " + rq);

    // P = 3 (not a square): B = ceil(sqrt(12)) = 4, sixteen edge buckets placed whole onto 3
    // shards.
    assertEquals(4, EdgePartitioner.bucketsFor(3));
    Dataset<Row> three =
        EdgePartitioner.partition(triples, EdgePartitioner.Strategy.BUCKET2D, 3, 11, null);
    assertEquals(
        0,
        three
            .withColumn("bh", EdgePartitioner.entityBucket(col("head"), 11, 4))
            .withColumn("bt", EdgePartitioner.entityBucket(col("tail"), 11, 4))
            .groupBy("bh", "bt")
            .agg(countDistinct("shard").as("n"))
            .filter(col("n").notEqual(1))
            .count());
    assertEquals(kg.train.length, three.count());
    assertTrue(
        EdgePartitioner.quality(three, 3, "bucket2d").balance() < 1.35,
        "sixteen buckets balance on 3 shards");
    random.unpersist();
    buckets.unpersist();
  }

  @Test
  void localityKeepsAnchorGroupsTogether() {
    KgFixture kg = KgFixture.load("codex-s");
    Dataset<Row> triples = kg.trainDataset();
    TokenizeConfig config =
        TokenizeConfig.DEFAULTS.withAnchors(40, 3, 2).withStrategy(Anchors.Strategy.DEGREE);
    Dataset<Row> tokens =
        NodePiece.anchorDistances(
                triples, kg.numEntities(), Anchors.select(triples, config).entityIds(), 3, 50)
            .cache();
    int shards = 6;
    Dataset<Row> local =
        EdgePartitioner.partition(triples, EdgePartitioner.Strategy.LOCALITY, shards, 5, tokens)
            .cache();
    assertEquals(kg.train.length, local.count());
    assertEquals(sortedTriples(triples), sortedTriples(local));
    PartitionQuality lq = EdgePartitioner.quality(local, shards, "locality");
    assertQualityMatchesBruteForce(local, shards, lq);
    assertTrue(lq.balance() < 1.3, "pieces are balanced largest-first: " + lq);

    // Every anchor group spans at most ceil(size / target) shards; small groups exactly one.
    long target = (kg.train.length + shards - 1) / shards;
    Dataset<Row> groups =
        local
            .join(
                tokens.select(
                    col("id"),
                    org.apache.spark.sql.functions.element_at(col("anchors"), 1).as("a")),
                local.col("head").equalTo(col("id")))
            .groupBy("a")
            .agg(
                org.apache
                    .spark
                    .sql
                    .functions
                    .count(org.apache.spark.sql.functions.lit(1))
                    .as("size"),
                countDistinct("shard").as("spread"));
    for (Row g : groups.collectAsList()) {
      if (g.getInt(0) >= 0) {
        long allowed = Math.max(1, (g.getLong(1) + target - 1) / target);
        assertTrue(g.getLong(2) <= allowed, "group " + g + " spread over too many shards");
      }
    }
    PartitionQuality rq =
        EdgePartitioner.quality(
            EdgePartitioner.partition(triples, EdgePartitioner.Strategy.RANDOM, shards, 5, null),
            shards,
            "random");
    assertTrue(lq.replicationFactor() < rq.replicationFactor(), lq + " vs " + rq);
    assertThrows(
        IllegalArgumentException.class,
        () -> EdgePartitioner.partition(triples, EdgePartitioner.Strategy.LOCALITY, 2, 1, null));
    assertEquals(EdgePartitioner.Strategy.BUCKET2D, EdgePartitioner.Strategy.parse("bucket-2d"));
    local.unpersist();
    tokens.unpersist();
  }
}
