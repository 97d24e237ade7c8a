package org.sparkkge.jobs.ranking;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.HashPartitioner;
import org.apache.spark.Partitioner;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.NonFiniteScoreException;
import org.sparkkge.core.eval.RankMetrics;
import org.sparkkge.jobs.GpuScheduling;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.TaskDevices;
import scala.Tuple2;

/**
 * Filtered link-prediction ranking on Spark (both directions, realistic ranks, known triples
 * filtered), used by the evaluate stage and by training's per-round validation.
 *
 * <p>The test triples get ids and are hashed into G query groups; the known triples that can filter
 * a group's queries, same (head, relation) or same (relation, tail), are joined to the group by
 * those keys. Both are prepared once ({@link #prepare}) and can be ranked against several sets of
 * parameters ({@link #rank}). Two paths, same results bit for bit:
 *
 * <ul>
 *   <li><b>broadcast</b>: when allowed and the entity matrix (entities x dim x 4 bytes) fits the
 *       budget, it is collected once and broadcast; each query group is one task ranking against
 *       all entities.
 *   <li><b>blockwise</b>: otherwise the entity table stays distributed and the queries move to it.
 *       It is cut into B blocks of consecutive ids ({@link #blockRows}: each fits the budget, and
 *       there are at least G when the table is large enough), each row shuffled once into its block
 *       with the filtering triples whose candidate lies there; every query fetches its head and
 *       tail rows from their blocks, then goes with them to every block (task k ranks all queries
 *       against block k); the per-query counts are summed over the blocks. Shuffle volume: one copy
 *       of the entity table, plus (B + 1) copies of the queries with their two rows, plus B partial
 *       counts per query.
 * </ul>
 *
 * Non-finite scores (embedding-core's QueryCounts): a query whose compared candidates score NaN or
 * infinite fails the ranking with a {@link PipelineException} naming the first such query; a true
 * answer with a non-finite score ranks last and is counted in the result. Nothing O(entities) or
 * O(triples) reaches the driver except the broadcast matrix within its budget.
 */
public final class DistributedRanking implements AutoCloseable {
  public static final String BROADCAST = "broadcast";
  public static final String BLOCKWISE = "blockwise";

  /** Most entity blocks (tasks) of one ranking: beyond it the budget is unreasonably small. */
  static final long MAX_BLOCKS = 100_000;

  /**
   * Fewest entity rows per block when blocks are added for parallelism (a block scores all
   * queries).
   */
  static final int MIN_BLOCK_ROWS = 1024;

  /** Largest Java array. */
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /**
   * @param budgetBytes largest entity matrix broadcast, and the largest entity block of the
   *     blockwise path
   * @param queryGroups query groups (0: 2 x the default parallelism)
   * @param batchSize queries scored per batch on the device
   */
  public record Settings(long budgetBytes, int queryGroups, int batchSize)
      implements Serializable {}

  /**
   * Optional int column of the test triples: metrics are also summed per value ({@link
   * Outcome#perRegion}), e.g. whether a triple's entities were all trained.
   */
  public static final String REGION = "region";

  /**
   * The metrics and how they were computed.
   *
   * @param perRegion metrics of the test triples of each value of their {@link #REGION} column (0
   *     without one)
   * @param taskDevices ranking task runs per device, e.g. {"cpu()": 4}
   */
  public record Outcome(
      EvaluationResult result,
      Map<Integer, RankMetrics> perRegion,
      String path,
      int blocks,
      int entitiesPerBlock,
      int queryGroups,
      long triples,
      Map<String, Long> taskDevices) {
    /** The ranking's figures for stats.json. */
    public Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ranking", path);
      m.put("entity_blocks", blocks);
      m.put("entities_per_block", entitiesPerBlock);
      m.put("query_groups", queryGroups);
      m.put("ranking_devices", taskDevices);
      return m;
    }
  }

  /**
   * A test triple with its id, query group and region (the test dataset's {@code region} column,
   * else 0).
   */
  record QueryTriple(long id, int group, int head, int relation, int tail, int region)
      implements Serializable {}

  /**
   * Entity rows {@code from .. from + width - 1} (row-major) and the filtering triples whose
   * candidate is one of them.
   */
  private record Block(
      int from, int width, float[] rows, Map<Long, int[]> tailFilters, Map<Long, int[]> headFilters)
      implements Serializable {}

  /** A query's copy for entity block {@code block}. */
  record Cell(int block, long id) implements Serializable {}

  /** Cell -> its block's partition. */
  static final class CellPartitioner extends Partitioner {
    private final int blocks;

    CellPartitioner(int blocks) {
      this.blocks = blocks;
    }

    @Override
    public int numPartitions() {
      return blocks;
    }

    @Override
    public int getPartition(Object key) {
      return ((Cell) key).block();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof CellPartitioner p && p.blocks == blocks;
    }

    @Override
    public int hashCode() {
      return blocks;
    }
  }

  /** Cells by block, then by query id. */
  static final class CellOrder implements Comparator<Cell>, Serializable {
    @Override
    public int compare(Cell a, Cell b) {
      int c = Integer.compare(a.block(), b.block());
      return c != 0 ? c : Long.compare(a.id(), b.id());
    }
  }

  /** Model and block geometry, shipped to the tasks. */
  private record Spec(
      String model,
      int dim,
      int relationDim,
      int numRelations,
      int numEntities,
      int perBlock,
      int blocks,
      int batchSize)
      implements Serializable {}

  private static final StructType KEYS =
      new StructType()
          .add("g", DataTypes.IntegerType, false)
          .add("head", DataTypes.IntegerType, false)
          .add("relation", DataTypes.IntegerType, false)
          .add("tail", DataTypes.IntegerType, false);

  private final SparkSession spark;
  private final Settings settings;
  private final int numEntities;
  private final int numRelations;
  private final int groups;
  private final JavaRDD<QueryTriple> queries;

  /** {group, 1 = tail query / 0 = head query, key entity, relation, filtered candidate}. */
  private final JavaRDD<int[]> filters;

  private final String what;

  private DistributedRanking(
      SparkSession spark,
      Settings settings,
      int numEntities,
      int numRelations,
      int groups,
      JavaRDD<QueryTriple> queries,
      JavaRDD<int[]> filters,
      String what) {
    this.spark = spark;
    this.settings = settings;
    this.numEntities = numEntities;
    this.numRelations = numRelations;
    this.groups = groups;
    this.queries = queries;
    this.filters = filters;
    this.what = what;
  }

  /**
   * Numbers and groups the test triples and joins their filtering triples (both kept in Spark until
   * {@link #close()}).
   *
   * @param test (head, relation, tail) to rank
   * @param known (head, relation, tail) of every true triple (train + valid + test)
   * @param what the dataset's name for error messages
   */
  public static DistributedRanking prepare(
      SparkSession spark,
      Dataset<Row> test,
      Dataset<Row> known,
      int numEntities,
      int numRelations,
      Settings settings,
      String what) {
    if (settings.budgetBytes() <= 0 || settings.queryGroups() < 0 || settings.batchSize() <= 0) {
      throw new IllegalArgumentException(
          "ranking settings: budget and batch size must be > 0, query groups >= 0: " + settings);
    }
    Row largest = test.agg(max(greatest(col("head"), col("tail"))), max(col("relation"))).first();
    if (!largest.isNullAt(0)
        && (largest.getInt(0) >= numEntities || largest.getInt(1) >= numRelations)) {
      throw new PipelineException(
          String.format(
              Locale.ROOT,
              "%s: entity id %d or relation id %d is outside the "
                  + "embeddings (%d entities, %d relations)",
              what,
              largest.getInt(0),
              largest.getInt(1),
              numEntities,
              numRelations));
    }
    int groups =
        settings.queryGroups() > 0
            ? settings.queryGroups()
            : Math.max(1, spark.sparkContext().defaultParallelism() * 2);
    Column region = Arrays.asList(test.columns()).contains(REGION) ? col(REGION) : lit(0);
    JavaRDD<QueryTriple> numbered =
        test.select(col("head"), col("relation"), col("tail"), region)
            .javaRDD()
            .zipWithUniqueId()
            .map(
                p ->
                    new QueryTriple(
                        p._2(),
                        group(p._2(), groups),
                        p._1().getInt(0),
                        p._1().getInt(1),
                        p._1().getInt(2),
                        p._1().getInt(3)))
            .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> keys =
        spark.createDataFrame(
            numbered.map(q -> RowFactory.create(q.group(), q.head(), q.relation(), q.tail())),
            KEYS);
    Dataset<Row> knownTriples = known.select("head", "relation", "tail");
    JavaRDD<int[]> tailFilters =
        keys.select("g", "head", "relation")
            .distinct()
            .join(knownTriples, new String[] {"head", "relation"})
            .select("g", "head", "relation", "tail")
            .javaRDD()
            .map(r -> new int[] {r.getInt(0), 1, r.getInt(1), r.getInt(2), r.getInt(3)});
    JavaRDD<int[]> headFilters =
        keys.select("g", "relation", "tail")
            .distinct()
            .join(knownTriples, new String[] {"relation", "tail"})
            .select("g", "tail", "relation", "head")
            .javaRDD()
            .map(r -> new int[] {r.getInt(0), 0, r.getInt(1), r.getInt(2), r.getInt(3)});
    JavaRDD<int[]> filters = tailFilters.union(headFilters).persist(StorageLevel.MEMORY_AND_DISK());
    return new DistributedRanking(
        spark, settings, numEntities, numRelations, groups, numbered, filters, what);
  }

  /** Test triples prepared (a count job). */
  public long triples() {
    return queries.count();
  }

  /**
   * Ranks the prepared queries with these parameters.
   *
   * @param entityRows (id, embedding of {@code dim} floats) for ids 0 .. numEntities - 1 (a missing
   *     id ranks as a zero row in both paths)
   * @param relations the relation table, row-major (small: broadcast)
   * @param allowBroadcast false keeps the entity table off the driver even when it would fit
   *     (blockwise)
   * @throws PipelineException with a {@link NonFiniteScoreException} cause when a query's
   *     candidates score NaN or infinite ({@link #withNames} adds the names), or naming the failure
   *     of a ranking task
   */
  public Outcome rank(
      String model,
      int dim,
      int relationDim,
      float[] relations,
      JavaPairRDD<Integer, float[]> entityRows,
      boolean allowBroadcast) {
    return rank(
        model,
        dim,
        relationDim,
        relations,
        entityRows,
        allowBroadcast,
        TaskDevices.register(spark.sparkContext(), what));
  }

  /**
   * {@link #rank}, with the ranking tasks finding their device through {@code devices} (tests stand
   * in a device lookup).
   */
  Outcome rank(
      String model,
      int dim,
      int relationDim,
      float[] relations,
      JavaPairRDD<Integer, float[]> entityRows,
      boolean allowBroadcast,
      TaskDevices devices) {
    long rowBytes = (long) dim * Float.BYTES;
    // a matrix or block is one Java float array: at most MAX_ARRAY floats whatever the budget
    long budgetRows = Math.min(settings.budgetBytes() / rowBytes, MAX_ARRAY / dim);
    boolean broadcast = allowBroadcast && numEntities <= budgetRows;
    int perBlock =
        broadcast ? Math.max(1, numEntities) : blockRows(numEntities, budgetRows, groups);
    int blocks = Math.max(1, (numEntities + perBlock - 1) / perBlock);
    if (blocks > MAX_BLOCKS) {
      throw new PipelineException(
          String.format(
              Locale.ROOT,
              "ranking: %,d entity blocks of %,d rows (dim %d); "
                  + "raise evaluate.broadcast-budget-bytes (now %,d bytes)",
              blocks,
              perBlock,
              dim,
              settings.budgetBytes()));
    }
    Spec spec =
        new Spec(
            model,
            dim,
            relationDim,
            numRelations,
            numEntities,
            perBlock,
            blocks,
            settings.batchSize());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<float[]> relationTable = jsc.broadcast(relations);
    Broadcast<float[]> matrix = null;
    JavaRDD<Block> blockTable = null;
    try {
      JavaRDD<BlockRanker.Counts> counts;
      if (broadcast) {
        float[] all = new float[numEntities * dim];
        // within the configured budget the matrix is collected once and broadcast
        // (docs/training.md)
        for (Tuple2<Integer, float[]> row : entityRows.collect()) {
          System.arraycopy(checked(row, spec), 0, all, row._1() * dim, dim);
        }
        Broadcast<float[]> m = jsc.broadcast(all);
        matrix = m;
        HashPartitioner byGroup = new HashPartitioner(groups);
        JavaPairRDD<Integer, QueryTriple> queryCells =
            queries.mapToPair(q -> new Tuple2<>(q.group(), q));
        JavaPairRDD<Integer, int[]> filterCells = filters.mapToPair(f -> new Tuple2<>(f[0], f));
        counts =
            GpuScheduling.onDevice(
                queryCells
                    .cogroup(filterCells, byGroup)
                    .flatMap(
                        cell -> {
                          List<BlockRanker.Query> list = new ArrayList<>();
                          float[] rows = m.value();
                          for (QueryTriple q : cell._2()._1()) {
                            list.add(
                                new BlockRanker.Query(
                                    q.id(),
                                    q.head(),
                                    q.relation(),
                                    q.tail(),
                                    q.region(),
                                    Arrays.copyOfRange(rows, q.head() * dim, (q.head() + 1) * dim),
                                    Arrays.copyOfRange(
                                        rows, q.tail() * dim, (q.tail() + 1) * dim)));
                          }
                          if (list.isEmpty()) {
                            return Collections.emptyIterator();
                          }
                          // sorted by id, so a rerun sees the same batches
                          list.sort((a, b) -> Long.compare(a.id(), b.id()));
                          Map<Long, List<Integer>> tails = new HashMap<>();
                          Map<Long, List<Integer>> heads = new HashMap<>();
                          for (int[] f : cell._2()._2()) {
                            (f[1] == 1 ? tails : heads)
                                .computeIfAbsent(
                                    BlockRanker.filterKey(f[2], f[3]), x -> new ArrayList<>())
                                .add(f[4]);
                          }
                          Optional<BlockRanker> onDevice =
                              ranker(devices, spec, relationTable, 0, spec.numEntities(), rows);
                          if (onDevice.isEmpty()) {
                            return Collections.emptyIterator();
                          }
                          try (BlockRanker ranker = onDevice.get()) {
                            return ranker
                                .rank(list, distinctSorted(tails), distinctSorted(heads))
                                .iterator();
                          }
                        }));
      } else {
        blockTable = blocks(entityRows, filters, spec).persist(StorageLevel.MEMORY_AND_DISK());
        counts = rankBlockwise(blockTable, queries, spec, relationTable, devices);
      }
      RankTally tally = counts.aggregate(new RankTally(), RankTally::add, RankTally::plus);
      // a task that could not use its GPU ranked nothing: stop before the counts are read
      devices.requireUsable(what);
      EvaluationResult result;
      try {
        result = tally.toResult(numEntities);
      } catch (NonFiniteScoreException e) {
        throw new PipelineException(what + ": " + e.getMessage(), e);
      }
      return new Outcome(
          result,
          tally.perRegion(),
          broadcast ? BROADCAST : BLOCKWISE,
          blocks,
          perBlock,
          groups,
          tally.queries() / 2,
          devices.used());
    } catch (PipelineException e) {
      throw e;
    } catch (Exception e) {
      // a failed task reaches the driver as a SparkException (undeclared in Java) around the task's
      // own one
      if (e instanceof SparkException) {
        throw new PipelineException(what + ": a ranking task failed: " + rootMessage(e), e);
      }
      if (e instanceof IllegalStateException) {
        throw new PipelineException(
            what + ": " + e.getMessage(), e); // the broadcast path's checks on the driver
      }
      throw e;
    } finally {
      relationTable.destroy();
      if (blockTable != null) {
        blockTable.unpersist(false);
      }
      if (matrix != null) {
        matrix.destroy();
      }
    }
  }

  /**
   * Rows per entity block of the blockwise path: as many as the budget allows, but at least {@code
   * groups} blocks (one ranking task each) when the table has {@link #MIN_BLOCK_ROWS} rows per
   * block for them, so the cores have work.
   */
  static int blockRows(int numEntities, long budgetRows, int groups) {
    int entities = Math.max(1, numEntities);
    long tasks = Math.max(1, Math.min(groups, entities / MIN_BLOCK_ROWS));
    long rows = Math.min(budgetRows, (entities + tasks - 1) / tasks);
    return (int) Math.max(1, rows);
  }

  /**
   * The blockwise ranking: each entity row moves once, into its block; the queries come to the
   * blocks. The head and tail rows of every query are read from the blocks holding them, then every
   * query with its two rows goes to every block, which counts per query (QueryCounts) its
   * candidates; the counts are summed per query. The entity table is never copied per query group
   * and never reaches the driver.
   */
  private static JavaRDD<BlockRanker.Counts> rankBlockwise(
      JavaRDD<Block> blockTable,
      JavaRDD<QueryTriple> queries,
      Spec spec,
      Broadcast<float[]> relationTable,
      TaskDevices devices) {
    HashPartitioner byBlock = new HashPartitioner(spec.blocks());
    int dim = spec.dim();
    // 1. each query asks the block of its head and the block of its tail for the row
    JavaRDD<Tuple2<QueryTriple, Boolean>> requests =
        queries
            .flatMapToPair(
                q ->
                    List.of(
                            new Tuple2<>(q.head() / spec.perBlock(), new Tuple2<>(q, true)),
                            new Tuple2<>(q.tail() / spec.perBlock(), new Tuple2<>(q, false)))
                        .iterator())
            .partitionBy(byBlock)
            .values();
    JavaPairRDD<Long, BlockRanker.Query> withRows =
        blockTable
            .zipPartitions(
                requests,
                (blockIt, asks) -> {
                  Block block = blockIt.next();
                  List<Tuple2<Long, BlockRanker.Query>> out = new ArrayList<>();
                  while (asks.hasNext()) {
                    Tuple2<QueryTriple, Boolean> ask = asks.next();
                    QueryTriple q = ask._1();
                    int row = (ask._2() ? q.head() : q.tail()) - block.from();
                    float[] values = Arrays.copyOfRange(block.rows(), row * dim, (row + 1) * dim);
                    out.add(
                        new Tuple2<>(
                            q.id(),
                            new BlockRanker.Query(
                                q.id(),
                                q.head(),
                                q.relation(),
                                q.tail(),
                                q.region(),
                                ask._2() ? values : null,
                                ask._2() ? null : values)));
                  }
                  return out.iterator();
                })
            .mapToPair(t -> t)
            .reduceByKey(
                (a, b) ->
                    new BlockRanker.Query(
                        a.id(),
                        a.head(),
                        a.relation(),
                        a.tail(),
                        a.region(),
                        a.headRow() != null ? a.headRow() : b.headRow(),
                        a.tailRow() != null ? a.tailRow() : b.tailRow()));
    // 2. every query to every block, in id order within the block (a rerun sees the same batches)
    JavaRDD<BlockRanker.Query> toBlocks =
        withRows
            .flatMapToPair(
                e -> {
                  List<Tuple2<Cell, BlockRanker.Query>> out = new ArrayList<>(spec.blocks());
                  for (int k = 0; k < spec.blocks(); k++)
                    out.add(new Tuple2<>(new Cell(k, e._1()), e._2()));
                  return out.iterator();
                })
            .repartitionAndSortWithinPartitions(new CellPartitioner(spec.blocks()), new CellOrder())
            .values();
    // 3. each block ranks the stream of queries, a bounded chunk at a time
    JavaRDD<BlockRanker.Counts> partial =
        GpuScheduling.onDevice(
            blockTable.zipPartitions(
                toBlocks,
                (blockIt, stream) -> {
                  Block block = blockIt.next();
                  List<BlockRanker.Counts> out = new ArrayList<>();
                  Optional<BlockRanker> onDevice =
                      ranker(
                          devices, spec, relationTable, block.from(), block.width(), block.rows());
                  if (onDevice.isEmpty()) {
                    return Collections.emptyIterator();
                  }
                  try (BlockRanker ranker = onDevice.get()) {
                    int chunk = ranker.batch() * 16;
                    List<BlockRanker.Query> part = new ArrayList<>(chunk);
                    while (stream.hasNext()) {
                      part.add(stream.next());
                      if (part.size() == chunk || !stream.hasNext()) {
                        out.addAll(ranker.rank(part, block.tailFilters(), block.headFilters()));
                        part.clear();
                      }
                    }
                  }
                  return out.iterator();
                }));
    return spec.blocks() == 1
        ? partial
        : partial
            .mapToPair(c -> new Tuple2<>(c.id(), c))
            .reduceByKey(BlockRanker.Counts::plus)
            .values();
  }

  /**
   * In a ranking task: a ranker of the candidate rows {@code from .. from + width - 1} on the
   * task's device, or empty when the task cannot use the GPU it was given ({@code devices} records
   * why).
   */
  private static Optional<BlockRanker> ranker(
      TaskDevices devices,
      Spec spec,
      Broadcast<float[]> relationTable,
      int from,
      int width,
      float[] rows) {
    return devices
        .taskDevice()
        .map(
            device ->
                new BlockRanker(
                    device,
                    spec.model(),
                    spec.dim(),
                    spec.relationDim(),
                    spec.numRelations(),
                    relationTable.value(),
                    from,
                    width,
                    rows,
                    spec.batchSize()));
  }

  /**
   * The entity table cut into blocks of consecutive ids, partition k = block k, each with the
   * filtering triples whose candidate lies in it (deduplicated over the query groups).
   */
  private static JavaRDD<Block> blocks(
      JavaPairRDD<Integer, float[]> entityRows, JavaRDD<int[]> filters, Spec spec) {
    JavaPairRDD<Integer, Object> rows =
        entityRows.mapToPair(
            e -> {
              if (e._1() < 0 || e._1() >= spec.numEntities()) {
                throw new IllegalStateException(
                    "entity id " + e._1() + " outside 0.." + (spec.numEntities() - 1));
              }
              checked(e, spec);
              return new Tuple2<Integer, Object>(e._1() / spec.perBlock(), e);
            });
    JavaPairRDD<Integer, Object> filterEntries =
        filters.mapToPair(f -> new Tuple2<Integer, Object>(f[4] / spec.perBlock(), f));
    return rows.union(filterEntries)
        .partitionBy(new HashPartitioner(spec.blocks()))
        .mapPartitionsWithIndex(
            (k, it) -> {
              int from = k * spec.perBlock();
              int width = Math.max(0, Math.min(spec.perBlock(), spec.numEntities() - from));
              float[] block = new float[width * spec.dim()];
              Map<Long, List<Integer>> tails = new HashMap<>();
              Map<Long, List<Integer>> heads = new HashMap<>();
              while (it.hasNext()) {
                Object value = it.next()._2();
                if (value instanceof int[] f) {
                  (f[1] == 1 ? tails : heads)
                      .computeIfAbsent(BlockRanker.filterKey(f[2], f[3]), x -> new ArrayList<>())
                      .add(f[4]);
                } else {
                  @SuppressWarnings("unchecked")
                  Tuple2<Integer, float[]> row = (Tuple2<Integer, float[]>) value;
                  System.arraycopy(row._2(), 0, block, (row._1() - from) * spec.dim(), spec.dim());
                }
              }
              return List.of(
                      new Block(from, width, block, distinctSorted(tails), distinctSorted(heads)))
                  .iterator();
            },
            true);
  }

  @Override
  public void close() {
    queries.unpersist(false);
    filters.unpersist(false);
  }

  private static Map<Long, int[]> distinctSorted(Map<Long, List<Integer>> lists) {
    Map<Long, int[]> out = new HashMap<>(lists.size() * 2);
    lists.forEach(
        (k, v) -> out.put(k, v.stream().mapToInt(Integer::intValue).sorted().distinct().toArray()));
    return out;
  }

  private static float[] checked(Tuple2<Integer, float[]> row, Spec spec) {
    if (row._2().length != spec.dim()) {
      throw new IllegalStateException(
          "entity "
              + row._1()
              + " has an embedding of "
              + row._2().length
              + " floats, expected "
              + spec.dim()
              + " (model "
              + spec.model()
              + ")");
    }
    return row._2();
  }

  /**
   * The message of the innermost cause (a task's own exception, not Spark's wrapping), on one line.
   */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String message = t.getMessage() == null ? t.getClass().getName() : t.getMessage();
    return message.lines().findFirst().orElse(message);
  }

  /**
   * The ranking's error with entity and relation names (a few rows read) when it is about
   * non-finite scores; other errors unchanged.
   *
   * @param entityNames (id, name) of the entities
   * @param relationNames (id, name) of the relations
   */
  public static PipelineException withNames(
      PipelineException e, String what, Dataset<Row> entityNames, Dataset<Row> relationNames) {
    if (!(e.getCause() instanceof NonFiniteScoreException n)) {
      return e;
    }
    NonFiniteScoreException.Query q = n.first();
    Map<Integer, String> entities = new HashMap<>();
    for (Row r :
        entityNames
            .filter(col("id").isin(q.head(), q.tail(), q.candidate()))
            .select("id", "name")
            .collectAsList()) {
      entities.put(r.getInt(0), r.getString(1));
    }
    Map<Integer, String> relations = new HashMap<>();
    for (Row r :
        relationNames
            .filter(col("id").equalTo(q.relation()))
            .select("id", "name")
            .collectAsList()) {
      relations.put(r.getInt(0), r.getString(1));
    }
    return new PipelineException(what + ": " + n.describe(entities::get, relations::get), n);
  }

  /**
   * Query group of a query id: a multiplicative hash, so consecutive ids spread over the groups.
   */
  static int group(long id, int groups) {
    return (int) Math.floorMod((id * 0x9E3779B97F4A7C15L) >>> 33, (long) groups);
  }
}
