package org.sparkkge.partitioner;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Splits training triples into P shards. Configuration keys: {@code partition.shards} (P), {@code
 * partition.strategy} (random | bucket2d | locality), {@code partition.seed}.
 *
 * <ul>
 *   <li><b>random</b>: shard = seeded xxhash64 of (head, relation, tail) mod P; identical triples
 *       land in the same shard.
 *   <li><b>bucket2d</b> (PyTorch-BigGraph style): entities fall into B buckets by a seeded hash
 *       ({@link #bucketsFor}); a triple belongs to edge bucket (bucket(head), bucket(tail)); the
 *       B*B edge buckets are placed whole onto P shards by greedy largest-first balancing of their
 *       measured sizes (with B*B = P each shard is one edge bucket). An entity appears in at most
 *       2B-1 edge buckets, hence at most min(P, 2B-1) shards.
 *   <li><b>locality</b>: triples are grouped by the head's nearest anchor (first NodePiece anchor;
 *       heads without one are grouped by a hash of the head into P groups); groups larger than
 *       total/P are split by a second hash of the head into ceil(size/(total/P)) pieces, and pieces
 *       are placed onto P shards largest-first, each onto the currently lightest shard.
 * </ul>
 *
 * Only per-bucket or per-group counts (O(P) or O(anchors)) reach the driver.
 */
public final class EdgePartitioner {
  public enum Strategy {
    RANDOM,
    BUCKET2D,
    LOCALITY;

    public static Strategy parse(String name) {
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT).replace("-", "").replace("_", ""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "partition.strategy must be random|bucket2d|locality, got '" + name + "'", e);
      }
    }
  }

  /** Output schema: the triple and its shard. */
  public static final StructType SCHEMA =
      new StructType()
          .add("head", DataTypes.IntegerType, false)
          .add("relation", DataTypes.IntegerType, false)
          .add("tail", DataTypes.IntegerType, false)
          .add("shard", DataTypes.IntegerType, false);

  private EdgePartitioner() {}

  /**
   * {@code (head, relation, tail, shard INT)} with shard in [0, shards). {@code tokens} (id,
   * anchors) is required by LOCALITY and ignored otherwise.
   */
  public static Dataset<Row> partition(
      Dataset<Row> triples, Strategy strategy, int shards, long seed, Dataset<Row> tokens) {
    Graphs.requireTriples(triples);
    if (shards < 1) {
      throw new IllegalArgumentException("partition.shards must be >= 1, got " + shards);
    }
    Dataset<Row> base = triples.select("head", "relation", "tail");
    return switch (strategy) {
      case RANDOM ->
          base.withColumn(
              "shard",
              pmod(
                      xxhash64(lit(seed), col("head"), col("relation"), col("tail")),
                      lit((long) shards))
                  .cast("int"));
      case BUCKET2D -> bucket2d(base, shards, seed);
      case LOCALITY -> locality(base, shards, seed, tokens);
    };
  }

  /** Entity bucket used by BUCKET2D: seeded hash of the id mod buckets. */
  public static Column entityBucket(Column entity, long seed, int buckets) {
    return pmod(xxhash64(lit(seed), lit("bucket"), entity), lit((long) buckets)).cast("int");
  }

  /**
   * Entity buckets B for P shards: sqrt(P) when P is a perfect square (one edge bucket per shard,
   * as in PyTorch-BigGraph); otherwise ceil(sqrt(4P)), so that at least 4 edge buckets share each
   * shard and largest-first placement can balance them (with B = ceil(sqrt(P)) one shard would get
   * two).
   */
  public static int bucketsFor(int shards) {
    int root = (int) Math.round(Math.sqrt(shards));
    return root * root == shards ? root : (int) Math.ceil(Math.sqrt(4.0 * shards));
  }

  private static Dataset<Row> bucket2d(Dataset<Row> triples, int shards, long seed) {
    int buckets = bucketsFor(shards);
    Dataset<Row> keyed =
        triples.withColumn(
            "edge_bucket",
            entityBucket(col("head"), seed, buckets)
                .multiply(buckets)
                .plus(entityBucket(col("tail"), seed, buckets)));
    long[] sizes = new long[buckets * buckets];
    for (Row row : keyed.groupBy("edge_bucket").count().collectAsList()) {
      sizes[row.getInt(0)] = row.getLong(1);
    }
    int[] shardOf = greedyPlacement(sizes, shards);
    Column[] table = new Column[shardOf.length];
    for (int i = 0; i < shardOf.length; i++) {
      table[i] = lit(shardOf[i]);
    }
    return keyed
        .withColumn(
            "shard",
            element_at(org.apache.spark.sql.functions.array(table), col("edge_bucket").plus(1)))
        .select("head", "relation", "tail", "shard");
  }

  private static Dataset<Row> locality(
      Dataset<Row> triples, int shards, long seed, Dataset<Row> tokens) {
    if (tokens == null) {
      throw new IllegalArgumentException(
          "partition.strategy=locality needs the NodePiece tokens (id, anchors)");
    }
    SparkSession spark = triples.sparkSession();
    Graphs.requireIntColumns(tokens, "tokens", "id");
    Dataset<Row> nearest =
        tokens.select(col("id").as("token_id"), element_at(col("anchors"), 1).as("nearest_anchor"));
    Column headHash = xxhash64(lit(seed), lit("head"), col("head"));
    // Groups: the nearest anchor index (>= 0), or -1 - (hash(head) mod P) for heads without one.
    Dataset<Row> grouped =
        triples
            .join(nearest, triples.col("head").equalTo(nearest.col("token_id")), "left")
            .withColumn(
                "group_id",
                when(
                        col("nearest_anchor").isNotNull().and(col("nearest_anchor").geq(0)),
                        col("nearest_anchor"))
                    .otherwise(lit(-1).minus(pmod(headHash, lit((long) shards)).cast("int"))))
            .select("head", "relation", "tail", "group_id");
    List<Row> groupSizes = grouped.groupBy("group_id").count().collectAsList();
    long total = groupSizes.stream().mapToLong(row -> row.getLong(1)).sum();
    long target = Math.max(1, (total + shards - 1) / shards);
    List<Row> pieceRows = new ArrayList<>();
    List<long[]> pieces = new ArrayList<>();
    for (Row row : groupSizes) {
      long size = row.getLong(1);
      int splits = (int) Math.max(1, (size + target - 1) / target);
      for (int p = 0; p < splits; p++) {
        pieces.add(new long[] {row.getInt(0), splits, p, size / splits});
      }
    }
    long[] pieceSizes = pieces.stream().mapToLong(p -> p[3]).toArray();
    int[] shardOf = greedyPlacement(pieceSizes, shards);
    for (int i = 0; i < pieces.size(); i++) {
      long[] p = pieces.get(i);
      pieceRows.add(RowFactory.create((int) p[0], (int) p[1], (int) p[2], shardOf[i]));
    }
    Dataset<Row> placement =
        spark.createDataFrame(
            pieceRows,
            new StructType()
                .add("p_group", DataTypes.IntegerType, false)
                .add("p_splits", DataTypes.IntegerType, false)
                .add("p_piece", DataTypes.IntegerType, false)
                .add("shard", DataTypes.IntegerType, false));
    Dataset<Row> splits =
        placement
            .select("p_group", "p_splits")
            .distinct()
            .withColumnRenamed("p_group", "s_group")
            .withColumnRenamed("p_splits", "s_splits");
    Dataset<Row> withPiece =
        grouped
            .join(broadcast(splits), grouped.col("group_id").equalTo(splits.col("s_group")))
            .withColumn(
                "piece",
                pmod(xxhash64(lit(seed), lit("piece"), col("head")), col("s_splits").cast("long"))
                    .cast("int"));
    return withPiece
        .join(
            broadcast(placement),
            withPiece
                .col("group_id")
                .equalTo(placement.col("p_group"))
                .and(withPiece.col("piece").equalTo(placement.col("p_piece"))))
        .select("head", "relation", "tail", "shard");
  }

  /**
   * Longest-processing-time placement: items in decreasing size (ties by index) each onto the shard
   * with the least load so far (ties by smaller shard). Returns the shard of every item.
   */
  static int[] greedyPlacement(long[] sizes, int shards) {
    Integer[] order = new Integer[sizes.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        (a, b) -> sizes[a] != sizes[b] ? Long.compare(sizes[b], sizes[a]) : Integer.compare(a, b));
    PriorityQueue<long[]> loads =
        new PriorityQueue<>(
            (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    for (int s = 0; s < shards; s++) {
      loads.add(new long[] {0, s});
    }
    int[] shardOf = new int[sizes.length];
    for (int item : order) {
      long[] lightest = loads.poll();
      shardOf[item] = (int) lightest[1];
      lightest[0] += sizes[item];
      loads.add(lightest);
    }
    return shardOf;
  }

  /**
   * Quality of a partition {@code (head, relation, tail, shard)}: shard sizes, balance (max/mean
   * triples per shard, 1.0 is perfect), entity replication factor (mean number of shards an entity
   * appears in, as head or tail), share of relations present in every shard. Empty shards count.
   */
  public static PartitionQuality quality(Dataset<Row> partitioned, int shards, String strategy) {
    Graphs.requireIntColumns(
        partitioned, "partitioned triples", "head", "relation", "tail", "shard");
    long[] sizes = new long[shards];
    for (Row row : partitioned.groupBy("shard").count().collectAsList()) {
      int shard = row.getInt(0);
      if (shard < 0 || shard >= shards) {
        throw new IllegalArgumentException("shard " + shard + " outside 0.." + (shards - 1));
      }
      sizes[shard] = row.getLong(1);
    }
    long total = Arrays.stream(sizes).sum();
    long max = Arrays.stream(sizes).max().orElse(0);
    double mean = (double) total / shards;
    Dataset<Row> entityShards =
        partitioned
            .select(col("head").as("entity"), col("shard"))
            .union(partitioned.select(col("tail").as("entity"), col("shard")))
            .distinct();
    Row replication =
        entityShards
            .agg(org.apache.spark.sql.functions.count(lit(1)), countDistinct(col("entity")))
            .first();
    long pairs = replication.getLong(0);
    long entities = replication.getLong(1);
    Row relations =
        partitioned
            .groupBy("relation")
            .agg(countDistinct(col("shard")).as("shards"))
            .agg(
                org.apache.spark.sql.functions.count(lit(1)),
                org.apache.spark.sql.functions.sum(
                    when(col("shards").equalTo(shards), 1).otherwise(0)))
            .first();
    long relationCount = relations.getLong(0);
    long everywhere = relations.isNullAt(1) ? 0 : relations.getLong(1);
    return new PartitionQuality(
        strategy,
        shards,
        sizes,
        total,
        mean == 0 ? 0 : max / mean,
        entities == 0 ? 0 : (double) pairs / entities,
        entities,
        relationCount == 0 ? 0 : (double) everywhere / relationCount,
        relationCount);
  }
}
