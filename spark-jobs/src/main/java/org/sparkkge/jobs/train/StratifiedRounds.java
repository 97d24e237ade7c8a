package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.jobs.GpuScheduling;
import org.sparkkge.jobs.progress.ProgressReporter;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;

/**
 * Shallow-mode rounds on the {@link StratifiedSchedule}: a round is B - 1 sub-rounds; in each, B/2
 * tasks run at once, each owning the rows of two entity partitions and training the triples of
 * their buckets. Entity rows travel as one {@link EntityBlock} per partition (a task holds 2 of B
 * partitions: about 2V/B rows, never the table); after every sub-round only the relations and their
 * Adagrad state, which every task shares, are merged on the driver (every task's change added) and
 * broadcast to the next. The triples are bucketed once per run and kept in Spark; the round starts
 * from, and ends with, the Parquet checkpoint, which also cuts the lineage.
 */
final class StratifiedRounds implements RoundRunner {
  private final SparkSession spark;
  private final JavaSparkContext jsc;
  private final StratifiedSchedule schedule;
  private final TrainOptions options;
  private final Checkpoints checkpoints;
  private final String compression;
  private final ProgressReporter progress;
  private final int numRelations;
  private final int relationDim;
  private final long[] partitionRows;
  private final JavaPairRDD<Integer, TaskTriples> units;
  private final JavaRDD<Integer> tableIds;

  private StratifiedRounds(
      SparkSession spark,
      StratifiedSchedule schedule,
      TrainOptions options,
      Checkpoints checkpoints,
      String compression,
      ProgressReporter progress,
      int numRelations,
      int relationDim,
      long[] partitionRows,
      JavaPairRDD<Integer, TaskTriples> units,
      JavaRDD<Integer> tableIds) {
    this.spark = spark;
    this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.schedule = schedule;
    this.options = options;
    this.checkpoints = checkpoints;
    this.compression = compression;
    this.progress = progress;
    this.numRelations = numRelations;
    this.relationDim = relationDim;
    this.partitionRows = partitionRows;
    this.units = units;
    this.tableIds = tableIds;
  }

  /**
   * Buckets {@code triples} (head, relation, tail) into the schedule's (sub-round, task) units,
   * persisted for the run. Only B counts reach the driver.
   */
  static StratifiedRounds open(
      SparkSession spark,
      Dataset<Row> triples,
      StratifiedSchedule schedule,
      TrainOptions options,
      Checkpoints checkpoints,
      String compression,
      ProgressReporter progress,
      int numRelations,
      int relationDim) {
    StratifiedSchedule s = schedule;
    int tasks = s.tasksPerSubRound();
    // Spark partition u holds unit u (sub-round u / tasks, task u % tasks): a sub-round's tasks
    // read
    // their triples through a narrow dependency on `tasks` consecutive partitions, no shuffle per
    // sub-round
    int unitPartitions = s.subRounds() * tasks;
    JavaPairRDD<Integer, TaskTriples> units =
        triples
            .select("head", "relation", "tail")
            .javaRDD()
            .mapToPair(
                r -> {
                  int h = r.getInt(0);
                  int rel = r.getInt(1);
                  int t = r.getInt(2);
                  int p = s.partitionOf(h);
                  int sub = s.subRoundOf(p, s.partitionOf(t), h, rel, t);
                  return new Tuple2<>(sub * tasks + s.taskOf(sub, p), new int[] {h, rel, t});
                })
            .groupByKey(new HashPartitioner(unitPartitions))
            .mapToPair(
                e -> {
                  List<int[]> list = new ArrayList<>();
                  e._2().forEach(list::add);
                  int sub = e._1() / tasks;
                  return new Tuple2<>(sub, TaskTriples.sorted(sub, e._1() % tasks, list));
                })
            .persist(StorageLevel.MEMORY_AND_DISK());
    // the table holds the entities of the triples trained on, not every id: after reduce.k > 0 the
    // periphery has no row until export places it
    JavaRDD<Integer> tableIds =
        triples
            .select("head", "tail")
            .javaRDD()
            .flatMap(r -> List.of(r.getInt(0), r.getInt(1)).iterator())
            .distinct()
            .persist(StorageLevel.MEMORY_AND_DISK());
    long[] rows = new long[s.partitions()];
    tableIds
        .map(id -> s.partitionOf(id))
        .countByValue()
        .forEach((partition, count) -> rows[partition] = count);
    return new StratifiedRounds(
        spark,
        schedule,
        options,
        checkpoints,
        compression,
        progress,
        numRelations,
        relationDim,
        rows,
        units,
        tableIds);
  }

  /**
   * Entity rows of the largest task: the two largest-together partitions (every pair meets in some
   * task).
   */
  long largestTaskRows() {
    return largestPair(false);
  }

  @Override
  public long largestTaskTableRows() {
    return largestPair(true);
  }

  /**
   * Rows a task owning the pair (a, b) holds, maximised over the pairs; with the pool rows of the
   * other partitions.
   */
  private long largestPair(boolean withPool) {
    int poolRows = withPool ? poolRowsPerPartition() : 0;
    long pool = 0;
    for (long rows : partitionRows) {
      pool += Math.min(poolRows, rows);
    }
    long largest = 0;
    for (int a = 0; a < partitionRows.length; a++) {
      for (int b = a + 1; b < partitionRows.length; b++) {
        long own = partitionRows[a] + partitionRows[b];
        long foreignPool =
            pool - Math.min(poolRows, partitionRows[a]) - Math.min(poolRows, partitionRows[b]);
        largest = Math.max(largest, own + foreignPool);
      }
    }
    return largest;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schedule", TrainOptions.STRATIFIED);
    m.put("entity_partitions", schedule.partitions());
    m.put("entity_table_rows", Arrays.stream(partitionRows).sum());
    m.put("entity_partition_rows", Arrays.stream(partitionRows).boxed().toList());
    m.put("largest_task_entity_rows", largestTaskRows());
    m.put("negative_pool_rows", largestTaskTableRows() - largestTaskRows());
    return m;
  }

  @Override
  public int tasksPerWave() {
    return schedule.tasksPerSubRound();
  }

  @Override
  public RoundResult train(int round, SharedParams shared, TrainOptions roundOptions)
      throws Exception {
    StratifiedSchedule s = schedule;
    int tasks = s.tasksPerSubRound();
    int dim = options.core().dim();
    JavaRDD<EntityBlock> start = readBlocks(checkpoints.entities(round - 1), dim);
    SharedParams current = shared;
    int poolRows = poolRowsPerPartition();
    NegativePool pool = poolRows == 0 ? NegativePool.EMPTY : samplePool(start, round, poolRows);
    // what the next sub-round's tasks receive: every partition's block, and the pool deltas sent to
    // it
    JavaRDD<ShardOutput> carried = start.map(ShardOutput.Block::new);
    List<Broadcast<NegativePool>> pools = new ArrayList<>();
    List<ShardOutput.Summary> all = new ArrayList<>();
    List<Map<String, Object>> perSubRound = new ArrayList<>();
    List<Broadcast<RoundInput>> inputs = new ArrayList<>();
    JavaRDD<ShardOutput> previous = null;
    int slices = options.bucketSlices(s.partitions());
    try {
      for (int step = 0; step < slices * s.subRounds(); step++) {
        int slice = step / s.subRounds();
        int sub = step % s.subRounds();
        long began = System.nanoTime();
        progress.step(
            String.format(
                Locale.ROOT,
                "round %d of %d: %ssub-round %d of %d (%d tasks)",
                round,
                options.rounds(),
                slices == 1 ? "" : "slice " + (slice + 1) + " of " + slices + ", ",
                sub + 1,
                s.subRounds(),
                tasks));
        Broadcast<RoundInput> input =
            jsc.broadcast(
                new RoundInput(
                    round,
                    roundOptions,
                    numRelations,
                    relationDim,
                    current.relations(),
                    current.relationAdagrad(),
                    List.of()));
        inputs.add(input);
        Broadcast<NegativePool> poolInput = jsc.broadcast(pool);
        pools.add(poolInput);
        JavaPairRDD<Integer, ShardOutput> carriedByTask =
            carried
                .mapToPair(o -> new Tuple2<>(s.taskOf(sub, partitionOf(o)), o))
                .partitionBy(new HashPartitioner(tasks));
        JavaRDD<Tuple2<Integer, TaskTriples>> triplesByTask = unitsOf(units, sub, tasks);
        JavaRDD<ShardOutput> trained =
            carriedByTask.zipPartitions(
                triplesByTask,
                (Iterator<Tuple2<Integer, ShardOutput>> b,
                    Iterator<Tuple2<Integer, TaskTriples>> t) -> {
                  List<ShardOutput> owned = new ArrayList<>();
                  int task = -1;
                  while (b.hasNext()) {
                    Tuple2<Integer, ShardOutput> e = b.next();
                    task = e._1();
                    owned.add(e._2());
                  }
                  if (task < 0) {
                    return Collections.emptyIterator();
                  }
                  return ShardTask.trainStratified(
                          s,
                          sub,
                          new ShardTask.Slice(slice, slices),
                          task,
                          owned.iterator(),
                          values(t),
                          input.value(),
                          poolInput.value(),
                          poolRows)
                      .iterator();
                });
        JavaRDD<ShardOutput> outputs =
            GpuScheduling.onDevice(trained).persist(StorageLevel.MEMORY_AND_DISK());
        // one job: the summaries and the pool samples (bounded: poolRows per partition) reach the
        // driver
        List<ShardOutput> small =
            outputs
                .filter(
                    o -> o instanceof ShardOutput.Summary || o instanceof ShardOutput.PoolSample)
                .collect();
        List<ShardOutput.Summary> summaries = new ArrayList<>();
        List<ShardOutput.PoolSample> samples = new ArrayList<>();
        for (ShardOutput o : small) {
          if (o instanceof ShardOutput.Summary summary) {
            summaries.add(summary);
          } else if (o instanceof ShardOutput.PoolSample sample) {
            samples.add(sample);
          }
        }
        summaries.sort(Comparator.comparingInt(ShardOutput.Summary::shard));
        samples.sort(Comparator.comparingInt(ShardOutput.PoolSample::partition));
        if (poolRows > 0) {
          pool = NegativePool.join(samples.stream().map(ShardOutput.PoolSample::rows).toList());
        }
        if (previous != null) {
          previous.unpersist(false);
        }
        previous = outputs;
        ShardTask.requireUsableDevices(summaries);
        for (ShardOutput.Summary summary : summaries) {
          if (summary.diverged() != null) {
            return new RoundResult(current, all, summary, Map.of());
          }
        }
        all.addAll(summaries);
        current = merge(current, summaries);
        carried =
            outputs.filter(
                o -> o instanceof ShardOutput.Block || o instanceof ShardOutput.PoolDelta);
        perSubRound.add(subRoundMetadata(sub, slice, summaries, (System.nanoTime() - began) / 1e9));
      }
      progress.step(
          String.format(
              Locale.ROOT, "round %d of %d: writing the entity table", round, options.rounds()));
      writeBlocks(carried, checkpoints.entities(round));
    } finally {
      if (previous != null) {
        previous.unpersist(false);
      }
      for (Broadcast<RoundInput> input : inputs) {
        input.destroy();
      }
      for (Broadcast<NegativePool> p : pools) {
        p.destroy();
      }
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("schedule", TrainOptions.STRATIFIED);
    details.put("entity_partitions", s.partitions());
    details.put("sub_rounds", s.subRounds());
    details.put("bucket_slices", slices);
    details.put("tasks_per_sub_round", tasks);
    details.put("largest_task_entity_rows", largestTaskRows());
    details.put("per_sub_round", perSubRound);
    return new RoundResult(current, all, null, details);
  }

  /**
   * The units of sub-round {@code subRound}, partition i holding task i's (one unit, or none when
   * its buckets are empty): partitions [subRound * tasks, (subRound + 1) * tasks) of {@code units},
   * read in place.
   */
  private static JavaRDD<Tuple2<Integer, TaskTriples>> unitsOf(
      JavaPairRDD<Integer, TaskTriples> units, int subRound, int tasks) {
    return JavaRDD.fromRDD(
        PartitionPruningRDD.create(
            units.rdd(), new PartitionRange(subRound * tasks, (subRound + 1) * tasks)),
        units.classTag());
  }

  /**
   * Spark partitions [from, to), as PartitionPruningRDD's filter (serialisable: it travels with the
   * RDD).
   */
  private static final class PartitionRange extends AbstractFunction1<Object, Object>
      implements Serializable {
    private final int from;
    private final int to;

    PartitionRange(int from, int to) {
      this.from = from;
      this.to = to;
    }

    @Override
    public Object apply(Object index) {
      int i = (Integer) index;
      return i >= from && i < to;
    }
  }

  /**
   * Rows each partition contributes to the negative pool: train.negative-pool rows spread over B.
   */
  private int poolRowsPerPartition() {
    int total = options.negativePoolRows();
    return total == 0 ? 0 : Math.max(1, total / schedule.partitions());
  }

  /**
   * The first sub-round's pool, sampled from the round's starting table (later ones come with the
   * outputs).
   */
  private NegativePool samplePool(JavaRDD<EntityBlock> blocks, int round, int rowsPerPartition) {
    long seed = Seeds.ofPool(options.core().seed(), round, -1);
    List<NegativePool> fragments =
        new ArrayList<>(
            blocks
                .map(
                    b ->
                        new Tuple2<>(
                            b.partition(),
                            NegativePool.sample(b, rowsPerPartition, seed + b.partition())))
                .collect()
                .stream()
                .sorted(Comparator.comparingInt(Tuple2::_1))
                .map(Tuple2::_2)
                .toList());
    return NegativePool.join(fragments);
  }

  /**
   * Every task's change to the relations, added as one sequential Adagrad pass over the sub-round's
   * buckets would have made it: the accumulators get the sum of every task's increment, and a
   * task's change to relation row r is scaled by sqrt((G + g_k) / (G + sum of g_j)), where G is the
   * row's accumulator before the sub-round and g_k the task's increment. Each task stepped with its
   * own, smaller accumulator; the factor gives its steps the size they would have had with every
   * task's gradients counted. A row only one task touched keeps its change (factor 1); late in
   * training, when G dwarfs the increments, the merge is the plain sum; early on, k tasks that push
   * a fresh row the same way move it about sqrt(k) times one task's step, as a sequential pass
   * does, instead of k times. (On the 10^6-triple synthetic graph at P = 8 the plain sum left the
   * first epoch at a third of P = 1's validation MRR; docs/benchmarks.md.) An average would divide
   * each task's progress by the tasks of the sub-round instead.
   */
  static SharedParams merge(SharedParams current, List<ShardOutput.Summary> summaries) {
    float[] before = current.relations();
    float[] beforeAccumulators = current.relationAdagrad();
    int width = current.relationDim();
    float[] accumulators = beforeAccumulators.clone();
    boolean trained = false;
    for (ShardOutput.Summary s : summaries) {
      if (s.triplesTrained() > 0) {
        trained = true;
        addDifference(accumulators, s.relationAdagrad(), beforeAccumulators);
      }
    }
    if (!trained) {
      return current;
    }
    float[] relations = before.clone();
    for (ShardOutput.Summary s : summaries) {
      if (s.triplesTrained() == 0) {
        continue;
      }
      float[] after = s.relations();
      float[] afterAccumulators = s.relationAdagrad();
      for (int r = 0; r < accumulators.length; r++) {
        double scale = sequentialStepScale(afterAccumulators[r], accumulators[r]);
        for (int j = r * width; j < (r + 1) * width; j++) {
          relations[j] += (float) (scale * (after[j] - before[j]));
        }
      }
    }
    return new SharedParams(
        current.numRelations(), current.relationDim(), relations, accumulators, List.of());
  }

  /**
   * sqrt(own / merged): the factor that turns a task's change to a row, made with its own Adagrad
   * accumulator {@code own}, into the step it would have made with the merged accumulator (every
   * task's increments counted); at most 1, and 1 for a row no accumulator has grown yet.
   */
  static double sequentialStepScale(double own, double merged) {
    return merged > 0 ? Math.sqrt(Math.min(1.0, own / merged)) : 1.0;
  }

  private static void addDifference(float[] into, float[] after, float[] before) {
    for (int i = 0; i < into.length; i++) {
      into[i] += after[i] - before[i];
    }
  }

  private static Map<String, Object> subRoundMetadata(
      int sub, int slice, List<ShardOutput.Summary> summaries, double seconds) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sub_round", sub);
    m.put("slice", slice);
    m.put("seconds", seconds);
    m.put(
        "triples_trained", summaries.stream().mapToLong(ShardOutput.Summary::triplesTrained).sum());
    m.put("task_seconds", summaries.stream().mapToDouble(x -> x.wallNanos() / 1e9).sum());
    m.put(
        "slowest_task_seconds",
        summaries.stream().mapToDouble(x -> x.wallNanos() / 1e9).max().orElse(0));
    m.put(
        "largest_task_entity_rows",
        summaries.stream().mapToInt(ShardOutput.Summary::entities).max().orElse(0));
    return m;
  }

  /**
   * The checkpoint's table as one block per entity partition, rows in id order (exact row counts
   * known).
   */
  private JavaRDD<EntityBlock> readBlocks(String path, int dim) {
    long[] counts = partitionRows;
    return EntityTables.read(spark, path)
        .repartitionAndSortWithinPartitions(new EntityPartitioner(schedule))
        .mapPartitionsWithIndex(
            (partition, rows) -> {
              int n = (int) counts[partition];
              int[] ids = new int[n];
              float[] values =
                  new float[EntityBlock.floats(n, dim, "entity partition " + partition)];
              float[] adagrad = new float[n];
              int at = 0;
              while (rows.hasNext()) {
                Tuple2<Integer, EntityRow> row = rows.next();
                if (at == n || row._2().values().length != dim) {
                  throw new IllegalStateException(
                      path
                          + ": entity partition "
                          + partition
                          + " has more than its "
                          + n
                          + " rows, or row "
                          + row._1()
                          + " is not "
                          + dim
                          + " floats wide");
                }
                ids[at] = row._1();
                System.arraycopy(row._2().values(), 0, values, at * dim, dim);
                adagrad[at] = row._2().adagrad();
                at++;
              }
              if (at != n) {
                throw new IllegalStateException(
                    path
                        + ": entity partition "
                        + partition
                        + " has "
                        + at
                        + " of its "
                        + n
                        + " rows");
              }
              return List.of(new EntityBlock(partition, dim, ids, values, 0, adagrad)).iterator();
            },
            true);
  }

  /** Each partition's block with the last sub-round's pool deltas added, as checkpoint rows. */
  private void writeBlocks(JavaRDD<ShardOutput> carried, String path) {
    JavaRDD<Row> rows =
        carried
            .mapToPair(o -> new Tuple2<>(partitionOf(o), o))
            .partitionBy(new HashPartitioner(schedule.partitions()))
            .mapPartitions(
                items -> {
                  EntityBlock block = null;
                  List<ShardOutput.PoolDelta> deltas = new ArrayList<>();
                  while (items.hasNext()) {
                    ShardOutput o = items.next()._2();
                    if (o instanceof ShardOutput.Block b) {
                      block = b.block();
                    } else {
                      deltas.add((ShardOutput.PoolDelta) o);
                    }
                  }
                  return block == null
                      ? Collections.emptyIterator()
                      : rows(ShardTask.withDeltas(block, deltas));
                });
    EntityTables.writer(spark.createDataFrame(rows, EntityTables.SCHEMA), compression)
        .parquet(path);
  }

  // static, so that the task closures capture no driver-side object

  private static int partitionOf(ShardOutput item) {
    if (item instanceof ShardOutput.Block b) {
      return b.block().partition();
    }
    if (item instanceof ShardOutput.PoolDelta d) {
      return d.partition();
    }
    throw new IllegalArgumentException("not an entity partition's item: " + item);
  }

  private static <K, V> Iterator<V> values(Iterator<Tuple2<K, V>> pairs) {
    return new Iterator<>() {
      public boolean hasNext() {
        return pairs.hasNext();
      }

      public V next() {
        return pairs.next()._2();
      }
    };
  }

  /** A block's rows as checkpoint rows, made one at a time. */
  private static Iterator<Row> rows(EntityBlock b) {
    return new Iterator<>() {
      private int next;

      public boolean hasNext() {
        return next < b.rows();
      }

      public Row next() {
        int i = next++;
        return RowFactory.create(b.ids()[i], b.row(i), b.adagrad(i));
      }
    };
  }

  @Override
  public void close() {
    units.unpersist(false);
    tableIds.unpersist(false);
  }

  @Override
  public JavaRDD<Integer> tableIds() {
    return tableIds;
  }

  /** Entity id to its partition of the schedule (Spark partition p holds entity partition p). */
  static final class EntityPartitioner extends Partitioner {
    private final StratifiedSchedule schedule;

    EntityPartitioner(StratifiedSchedule schedule) {
      this.schedule = schedule;
    }

    @Override
    public int numPartitions() {
      return schedule.partitions();
    }

    @Override
    public int getPartition(Object key) {
      return schedule.partitionOf((Integer) key);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof EntityPartitioner e && e.schedule.equals(schedule);
    }

    @Override
    public int hashCode() {
      return schedule.hashCode();
    }
  }
}
