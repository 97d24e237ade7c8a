package org.sparkkge.jobs.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.max;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.Optional;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.jobs.PipelineException;
import scala.Tuple2;

/**
 * Filtered link-prediction ranking on Spark (both directions, realistic ranks, known triples filtered),
 * used by the evaluate stage and by training's per-round validation.
 *
 * <p>The test triples get ids and are hashed into G query groups; the known triples that can filter a
 * group's queries, same (head, relation) or same (relation, tail), are joined to the group by those
 * keys. Both are prepared once ({@link #prepare}) and can be ranked against several sets of parameters
 * ({@link #rank}). Two paths, same results bit for bit:
 *
 * <ul>
 *   <li><b>broadcast</b>: when allowed and the entity matrix (entities x dim x 4 bytes) fits the budget, it
 *       is collected once and broadcast; each query group is one task ranking against all entities.
 *   <li><b>blockwise</b>: otherwise the entity table stays distributed. It is cut into B blocks of
 *       consecutive ids, B the smallest number whose blocks fit the budget; the head and tail rows of the
 *       queries are joined in; task (g, k) ranks group g against block k, with only the filtering triples
 *       whose candidate lies in block k; the per-query counts (higher, equal) are summed over the blocks.
 *       Shuffle volume: G copies of the entity table plus B copies of the queries with their rows.
 * </ul>
 *
 * Nothing O(entities) or O(triples) reaches the driver except the broadcast matrix within its budget.
 */
public final class DistributedRanking implements AutoCloseable {
  public static final String BROADCAST = "broadcast";
  public static final String BLOCKWISE = "blockwise";
  /** Most (query group, entity block) tasks of one ranking: beyond it the budget is unreasonably small. */
  static final long MAX_CELLS = 1_000_000;
  /** Largest Java array. */
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * @param budgetBytes largest entity matrix broadcast, and the largest entity block of the blockwise path
   * @param queryGroups query groups (0: 2 x the default parallelism)
   * @param batchSize queries scored per batch on the device
   */
  public record Settings(long budgetBytes, int queryGroups, int batchSize) implements Serializable {}

  /** The metrics and how they were computed. */
  public record Outcome(EvaluationResult result, String path, int blocks, int entitiesPerBlock, int queryGroups,
      long triples) {
    /** The ranking's figures for stats.json. */
    public Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ranking", path);
      m.put("entity_blocks", blocks);
      m.put("entities_per_block", entitiesPerBlock);
      m.put("query_groups", queryGroups);
      return m;
    }
  }

  /** A test triple with its id and query group. */
  record QueryTriple(long id, int group, int head, int relation, int tail) implements Serializable {}

  /** Model and block geometry, shipped to the tasks. */
  private record Spec(String model, int dim, int relationDim, int numRelations, int numEntities, int perBlock,
      int blocks, int batchSize) implements Serializable {}

  private static final StructType KEYS = new StructType().add("g", DataTypes.IntegerType, false)
      .add("head", DataTypes.IntegerType, false).add("relation", DataTypes.IntegerType, false)
      .add("tail", DataTypes.IntegerType, false);

  private final SparkSession spark;
  private final Settings settings;
  private final int numEntities;
  private final int numRelations;
  private final int groups;
  private final JavaRDD<QueryTriple> queries;
  /** {group, 1 = tail query / 0 = head query, key entity, relation, filtered candidate}. */
  private final JavaRDD<int[]> filters;

  private DistributedRanking(SparkSession spark, Settings settings, int numEntities, int numRelations, int groups,
      JavaRDD<QueryTriple> queries, JavaRDD<int[]> filters) {
    this.spark = spark;
    this.settings = settings;
    this.numEntities = numEntities;
    this.numRelations = numRelations;
    this.groups = groups;
    this.queries = queries;
    this.filters = filters;
  }

  /**
   * Numbers and groups the test triples and joins their filtering triples (both kept in Spark until
   * {@link #close()}).
   *
   * @param test (head, relation, tail) to rank
   * @param known (head, relation, tail) of every true triple (train + valid + test)
   * @param what the dataset's name for error messages
   */
  public static DistributedRanking prepare(SparkSession spark, Dataset<Row> test, Dataset<Row> known,
      int numEntities, int numRelations, Settings settings, String what) {
    if (settings.budgetBytes() <= 0 || settings.queryGroups() < 0 || settings.batchSize() <= 0) {
      throw new IllegalArgumentException("ranking settings: budget and batch size must be > 0, query groups >= 0: "
          + settings);
    }
    Row largest = test.agg(max(greatest(col("head"), col("tail"))), max(col("relation"))).first();
    if (!largest.isNullAt(0) && (largest.getInt(0) >= numEntities || largest.getInt(1) >= numRelations)) {
      throw new PipelineException(String.format(Locale.ROOT, "%s: entity id %d or relation id %d is outside the "
          + "embeddings (%d entities, %d relations)", what, largest.getInt(0), largest.getInt(1), numEntities,
          numRelations));
    }
    int groups = settings.queryGroups() > 0 ? settings.queryGroups()
        : Math.max(1, spark.sparkContext().defaultParallelism() * 2);
    JavaRDD<QueryTriple> numbered = test.select("head", "relation", "tail").javaRDD().zipWithUniqueId()
        .map(p -> new QueryTriple(p._2(), group(p._2(), groups), p._1().getInt(0), p._1().getInt(1),
            p._1().getInt(2)))
        .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> keys = spark.createDataFrame(
        numbered.map(q -> RowFactory.create(q.group(), q.head(), q.relation(), q.tail())), KEYS);
    Dataset<Row> knownTriples = known.select("head", "relation", "tail");
    JavaRDD<int[]> tailFilters = keys.select("g", "head", "relation").distinct()
        .join(knownTriples, new String[] {"head", "relation"}).select("g", "head", "relation", "tail").javaRDD()
        .map(r -> new int[] {r.getInt(0), 1, r.getInt(1), r.getInt(2), r.getInt(3)});
    JavaRDD<int[]> headFilters = keys.select("g", "relation", "tail").distinct()
        .join(knownTriples, new String[] {"relation", "tail"}).select("g", "tail", "relation", "head").javaRDD()
        .map(r -> new int[] {r.getInt(0), 0, r.getInt(1), r.getInt(2), r.getInt(3)});
    JavaRDD<int[]> filters = tailFilters.union(headFilters).persist(StorageLevel.MEMORY_AND_DISK());
    return new DistributedRanking(spark, settings, numEntities, numRelations, groups, numbered, filters);
  }

  /** Test triples prepared (a count job). */
  public long triples() {
    return queries.count();
  }

  /**
   * Ranks the prepared queries with these parameters.
   *
   * @param entityRows (id, embedding of {@code dim} floats) for ids 0 .. numEntities - 1 (a missing id
   *     ranks as a zero row in both paths)
   * @param relations the relation table, row-major (small: broadcast)
   * @param allowBroadcast false keeps the entity table off the driver even when it would fit (blockwise)
   */
  public Outcome rank(String model, int dim, int relationDim, float[] relations,
      JavaPairRDD<Integer, float[]> entityRows, boolean allowBroadcast) {
    long rowBytes = (long) dim * Float.BYTES;
    // a matrix or block is one Java float array: at most MAX_ARRAY floats whatever the budget
    long budgetRows = Math.min(settings.budgetBytes() / rowBytes, MAX_ARRAY / dim);
    boolean broadcast = allowBroadcast && numEntities <= budgetRows;
    int perBlock = broadcast ? Math.max(1, numEntities)
        : (int) Math.max(1, Math.min(Math.max(1, numEntities), budgetRows));
    int blocks = Math.max(1, (numEntities + perBlock - 1) / perBlock);
    if ((long) groups * blocks > MAX_CELLS) {
      throw new PipelineException(String.format(Locale.ROOT, "ranking: %,d entity blocks of %,d rows (dim %d) x %,d "
          + "query groups = %,d tasks; raise evaluate.broadcast-budget-bytes (now %,d bytes) or lower "
          + "evaluate.query-groups", blocks, perBlock, dim, groups, (long) groups * blocks, settings.budgetBytes()));
    }
    Spec spec = new Spec(model, dim, relationDim, numRelations, numEntities, perBlock, blocks,
        settings.batchSize());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<float[]> relationTable = jsc.broadcast(relations);
    Broadcast<float[]> matrix = null;
    // the blockwise path reads the rows three times (two joins and the blocks)
    boolean persisted = !broadcast && entityRows.getStorageLevel().equals(StorageLevel.NONE());
    if (persisted) {
      entityRows.persist(StorageLevel.MEMORY_AND_DISK());
    }
    try {
      HashPartitioner cells = new HashPartitioner(groups * blocks);
      int g = groups;
      JavaPairRDD<Long, int[]> filterCells = filters.mapToPair(f -> new Tuple2<>(
          (long) f[0] * spec.blocks() + f[4] / spec.perBlock(), f));
      JavaRDD<BlockRanker.Counts> counts;
      if (broadcast) {
        float[] all = new float[numEntities * dim];
        // within the configured budget the matrix is collected once and broadcast (docs/training.md)
        for (Tuple2<Integer, float[]> row : entityRows.collect()) {
          System.arraycopy(checked(row, dim), 0, all, row._1() * dim, dim);
        }
        Broadcast<float[]> m = jsc.broadcast(all);
        matrix = m;
        JavaPairRDD<Long, QueryTriple> queryCells = queries.mapToPair(q -> new Tuple2<>((long) q.group(), q));
        counts = queryCells.cogroup(filterCells, cells).flatMap(cell -> {
          List<BlockRanker.Query> list = new ArrayList<>();
          float[] rows = m.value();
          for (QueryTriple q : cell._2()._1()) {
            list.add(new BlockRanker.Query(q.id(), q.group(), q.head(), q.relation(), q.tail(),
                Arrays.copyOfRange(rows, q.head() * dim, (q.head() + 1) * dim),
                Arrays.copyOfRange(rows, q.tail() * dim, (q.tail() + 1) * dim)));
          }
          return rankCell(spec, 0, rows, list, cell._2()._2(), relationTable.value());
        });
      } else {
        float[] zero = new float[dim];
        JavaPairRDD<Integer, QueryTriple> byHead = queries.mapToPair(q -> new Tuple2<>(q.head(), q));
        JavaRDD<BlockRanker.Query> withRows = byHead.leftOuterJoin(entityRows)
            .mapToPair(e -> new Tuple2<>(e._2()._1().tail(), new Tuple2<>(e._2()._1(), orZero(e._2()._2(), zero))))
            .leftOuterJoin(entityRows)
            .map(e -> {
              QueryTriple q = e._2()._1()._1();
              return new BlockRanker.Query(q.id(), q.group(), q.head(), q.relation(), q.tail(), e._2()._1()._2(),
                  orZero(e._2()._2(), zero));
            });
        JavaPairRDD<Long, BlockRanker.Query> queryCells = withRows.flatMapToPair(q -> {
          List<Tuple2<Long, BlockRanker.Query>> out = new ArrayList<>(spec.blocks());
          for (int k = 0; k < spec.blocks(); k++) out.add(new Tuple2<>((long) q.group() * spec.blocks() + k, q));
          return out.iterator();
        });
        JavaPairRDD<Long, Tuple2<Integer, float[]>> blockCells = entityRows.flatMapToPair(e -> {
          if (e._1() < 0 || e._1() >= spec.numEntities()) {
            throw new IllegalStateException("entity id " + e._1() + " outside 0.." + (spec.numEntities() - 1));
          }
          List<Tuple2<Long, Tuple2<Integer, float[]>>> out = new ArrayList<>(g);
          for (int group = 0; group < g; group++) {
            out.add(new Tuple2<>((long) group * spec.blocks() + e._1() / spec.perBlock(), e));
          }
          return out.iterator();
        });
        JavaRDD<BlockRanker.Counts> partial = queryCells.cogroup(blockCells, filterCells, cells).flatMap(cell -> {
          List<BlockRanker.Query> list = new ArrayList<>();
          cell._2()._1().forEach(list::add);
          if (list.isEmpty()) {
            return Collections.emptyIterator();
          }
          int k = (int) (cell._1() % spec.blocks());
          int from = k * spec.perBlock();
          int width = Math.min(spec.perBlock(), spec.numEntities() - from);
          float[] block = new float[width * dim];
          for (Tuple2<Integer, float[]> row : cell._2()._2()) {
            System.arraycopy(checked(row, dim), 0, block, (row._1() - from) * dim, dim);
          }
          return rankCell(spec, from, block, list, cell._2()._3(), relationTable.value());
        });
        counts = spec.blocks() == 1 ? partial
            : partial.mapToPair(c -> new Tuple2<>(c.id(), c)).reduceByKey(BlockRanker.Counts::plus).values();
      }
      RankTally tally = counts.aggregate(new RankTally(), (t, c) -> t
              .add(c.relation(), true, c.tailGreater() + 1, c.tailGreater() + c.tailEqual() + 1)
              .add(c.relation(), false, c.headGreater() + 1, c.headGreater() + c.headEqual() + 1),
          RankTally::plus);
      return new Outcome(tally.toResult(numEntities), broadcast ? BROADCAST : BLOCKWISE, blocks, perBlock, groups,
          tally.queries() / 2);
    } finally {
      relationTable.destroy();
      if (persisted) {
        entityRows.unpersist(false);
      }
      if (matrix != null) {
        matrix.destroy();
      }
    }
  }

  @Override
  public void close() {
    queries.unpersist(false);
    filters.unpersist(false);
  }

  /** Ranks one cell's queries (sorted by id, so a rerun sees the same batches) against one block. */
  private static Iterator<BlockRanker.Counts> rankCell(Spec spec, int from, float[] block,
      List<BlockRanker.Query> queries, Iterable<int[]> filterEntries, float[] relations) {
    if (queries.isEmpty()) {
      return Collections.emptyIterator();
    }
    queries.sort((a, b) -> Long.compare(a.id(), b.id()));
    Map<Long, List<Integer>> tails = new HashMap<>();
    Map<Long, List<Integer>> heads = new HashMap<>();
    for (int[] f : filterEntries) {
      long key = BlockRanker.filterKey(f[2], f[3]);
      (f[1] == 1 ? tails : heads).computeIfAbsent(key, x -> new ArrayList<>()).add(f[4]);
    }
    int width = Math.min(spec.perBlock(), spec.numEntities() - from);
    return BlockRanker.rank(spec.model(), spec.dim(), spec.relationDim(), spec.numRelations(), relations, from,
        width, block, queries, distinctSorted(tails), distinctSorted(heads), spec.batchSize()).iterator();
  }

  private static Map<Long, int[]> distinctSorted(Map<Long, List<Integer>> lists) {
    Map<Long, int[]> out = new HashMap<>(lists.size() * 2);
    lists.forEach((k, v) -> out.put(k, v.stream().mapToInt(Integer::intValue).sorted().distinct().toArray()));
    return out;
  }

  private static float[] checked(Tuple2<Integer, float[]> row, int dim) {
    if (row._2().length != dim) {
      throw new IllegalStateException("entity " + row._1() + " has an embedding of " + row._2().length
          + " floats, expected " + dim);
    }
    return row._2();
  }

  private static float[] orZero(Optional<float[]> row, float[] zero) {
    return row.isPresent() ? row.get() : zero;
  }

  /** Query group of a query id: a multiplicative hash, so consecutive ids spread over the groups. */
  static int group(long id, int groups) {
    return (int) Math.floorMod((id * 0x9E3779B97F4A7C15L) >>> 33, (long) groups);
  }
}
