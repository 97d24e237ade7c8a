package org.sparkkge.jobs.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.core.average.EntityRowsSnapshot;
import org.sparkkge.core.average.ParameterAveraging;
import org.sparkkge.core.average.SharedSnapshot;
import scala.Tuple2;

/**
 * Rounds of P shards trained at once from the same parameters and merged by parameter averaging
 * (Dist-KGE): NodePiece mode, where every parameter is shared, and shallow mode with
 * train.schedule = averaged. Shared parameters are averaged over all shards (weighted by triples
 * trained); in shallow mode each shard receives, by a join, the rows of every entity its triples touch,
 * and each entity row is averaged over the shards that touched it (weighted by touch count).
 */
final class AveragedRounds implements RoundRunner {
  private final SparkSession spark;
  private final TrainOptions options;
  private final Checkpoints checkpoints;
  private final String compression;
  private final int numRelations;
  private final int relationDim;
  private final int shards;
  private final JavaRDD<ShardData> shardData;
  private final List<long[]> sizes;
  private final HashPartitioner entityPartitioner;
  private final JavaPairRDD<Integer, Integer> needs;
  private final TokenTables tokenDesc;
  private final JavaRDD<LocalTokens> shardTokens;

  private AveragedRounds(SparkSession spark, TrainOptions options, Checkpoints checkpoints, String compression,
      int numRelations, int relationDim, int shards, JavaRDD<ShardData> shardData, List<long[]> sizes,
      HashPartitioner entityPartitioner, JavaPairRDD<Integer, Integer> needs, TokenTables tokenDesc,
      JavaRDD<LocalTokens> shardTokens) {
    this.spark = spark;
    this.options = options;
    this.checkpoints = checkpoints;
    this.compression = compression;
    this.numRelations = numRelations;
    this.relationDim = relationDim;
    this.shards = shards;
    this.shardData = shardData;
    this.sizes = sizes;
    this.entityPartitioner = entityPartitioner;
    this.needs = needs;
    this.tokenDesc = tokenDesc;
    this.shardTokens = shardTokens;
  }

  /**
   * Groups {@code partitioned} into its P shards (persisted for the run); shallow mode also persists the
   * (entity, shard) needs, NodePiece mode each shard's token table ({@code tokens}, {@code tokenDesc}).
   */
  static AveragedRounds open(SparkSession spark, Dataset<Row> partitioned, int shards, int numEntities,
      TrainOptions options, Checkpoints checkpoints, String compression, int numRelations, int relationDim,
      Dataset<Row> tokens, TokenTables tokenDesc) {
    JavaRDD<ShardData> shardData = shardData(partitioned, shards).persist(StorageLevel.MEMORY_AND_DISK());
    List<long[]> sizes = shardData.map(s -> new long[] {s.shard(), s.size(), s.entityIds().length}).collect();
    int tableParts = Math.max(1, Math.min(spark.sparkContext().defaultParallelism() * 2,
        (int) Math.max(1, numEntities / 50_000)));
    HashPartitioner entityPartitioner = new HashPartitioner(tableParts);
    JavaPairRDD<Integer, Integer> needs = shardData.flatMapToPair(s -> {
          List<Tuple2<Integer, Integer>> out = new ArrayList<>(s.entityIds().length);
          for (int id : s.entityIds()) out.add(new Tuple2<>(id, s.shard()));
          return out.iterator();
        })
        .partitionBy(entityPartitioner)
        .persist(StorageLevel.MEMORY_AND_DISK());
    JavaRDD<LocalTokens> shardTokens = null;
    if (tokens != null) {
      TokenTables desc = tokenDesc;
      JavaPairRDD<Integer, Row> tokensByShard = tokens.javaRDD().mapToPair(r -> new Tuple2<>(r.getInt(0), r))
          .join(needs, entityPartitioner)
          .mapToPair(e -> new Tuple2<>(e._2()._2(), e._2()._1()))
          .partitionBy(new HashPartitioner(shards));
      shardTokens = shardData.zipPartitions(tokensByShard.values(),
              (Iterator<ShardData> data, Iterator<Row> rows) -> {
                if (!data.hasNext()) {
                  return java.util.Collections.emptyIterator();
                }
                List<Row> list = new ArrayList<>();
                rows.forEachRemaining(list::add);
                return List.of(LocalTokens.of(data.next(), list, desc)).iterator();
              })
          .persist(StorageLevel.MEMORY_AND_DISK());
    }
    return new AveragedRounds(spark, options, checkpoints, compression, numRelations, relationDim, shards, shardData,
        sizes, entityPartitioner, needs, tokenDesc, shardTokens);
  }

  /** NodePiece mode: the token tables' shapes; null in shallow mode. */
  TokenTables tokenDesc() {
    return tokenDesc;
  }

  /** (shard, triples, entities) of every shard, for stats.json. */
  List<long[]> shardSizes() {
    return sizes;
  }

  @Override
  public long largestTaskRows() {
    return options.nodePiece() ? 0 : sizes.stream().mapToLong(s -> s[2]).max().orElse(0);
  }

  @Override
  public int tasksPerWave() {
    return shards;
  }

  @Override
  public RoundResult train(int round, SharedParams shared, TrainOptions roundOptions) throws Exception {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<RoundInput> input = jsc.broadcast(new RoundInput(round, roundOptions, numRelations, relationDim,
        shared.relations(), shared.relationAdagrad(), TensorData.of(shared.encoder())));
    JavaPairRDD<Integer, EntityRow> table = null;
    JavaRDD<ShardOutput> outputs;
    if (options.nodePiece()) {
      TokenTables desc = tokenDesc;
      outputs = shardTokens.flatMap(t -> ShardTask.trainNodePiece(t.shard(), t.table(desc), input.value())
              .iterator())
          .persist(StorageLevel.MEMORY_AND_DISK());
    } else {
      table = EntityTables.read(spark, checkpoints.entities(round - 1));
      JavaPairRDD<Integer, Tuple2<Integer, EntityRow>> rowsByShard = table.join(needs, entityPartitioner)
          .mapToPair(e -> new Tuple2<>(e._2()._2(), new Tuple2<>(e._1(), e._2()._1())))
          .partitionBy(new HashPartitioner(shards));
      outputs = shardData.zipPartitions(rowsByShard.values(),
              (Iterator<ShardData> data, Iterator<Tuple2<Integer, EntityRow>> rows) -> {
                if (!data.hasNext()) {
                  return java.util.Collections.emptyIterator();
                }
                return ShardTask.trainShallow(data.next(), rows, input.value()).iterator();
              })
          .persist(StorageLevel.MEMORY_AND_DISK());
    }
    try {
      List<ShardOutput.Summary> summaries = new ArrayList<>(outputs
          .filter(o -> o instanceof ShardOutput.Summary)
          .map(o -> (ShardOutput.Summary) o)
          .collect());
      summaries.sort(Comparator.comparingInt(ShardOutput.Summary::shard));
      for (ShardOutput.Summary s : summaries) {
        if (s.diverged() != null) {
          return new RoundResult(shared, summaries, s, Map.of());
        }
      }
      List<SharedSnapshot> snapshots = new ArrayList<>();
      for (ShardOutput.Summary s : summaries) {
        snapshots.add(new SharedSnapshot(numRelations, relationDim, s.relations(), s.relationAdagrad(),
            TensorData.toDense(s.encoder()), s.triplesTrained()));
      }
      SharedParams merged = SharedParams.of(ParameterAveraging.averageShared(snapshots));
      if (table != null) {
        int d = options.core().dim();
        JavaPairRDD<Integer, EntityRow> averaged = outputs
            .filter(o -> o instanceof ShardOutput.TouchedRow)
            .mapToPair(o -> new Tuple2<>(((ShardOutput.TouchedRow) o).id(), (ShardOutput.TouchedRow) o))
            .groupByKey(entityPartitioner)
            .mapValues(contributions -> averageRow(contributions, d));
        JavaPairRDD<Integer, EntityRow> next = table.leftOuterJoin(averaged, entityPartitioner)
            .mapValues(v -> v._2().isPresent() ? v._2().get() : v._1());
        EntityTables.write(spark, next, checkpoints.entities(round), compression);
      }
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("schedule", TrainOptions.AVERAGED);
      details.put("largest_task_entity_rows", largestTaskRows());
      details.put("per_shard", perShard(summaries));
      return new RoundResult(merged, summaries, null, details);
    } finally {
      outputs.unpersist(false);
      input.destroy();
    }
  }

  private static List<Map<String, Object>> perShard(List<ShardOutput.Summary> summaries) {
    List<Map<String, Object>> perShard = new ArrayList<>();
    for (ShardOutput.Summary s : summaries) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("shard", s.shard());
      m.put("triples_trained", s.triplesTrained());
      m.put("steps", s.steps());
      m.put("entities", s.entities());
      m.put("touched_entities", s.touched());
      m.put("mean_loss", s.meanLoss());
      m.put("train_seconds", s.wallNanos() / 1e9);
      perShard.add(m);
    }
    return perShard;
  }

  /** Touch-count weighted mean over the shards that touched the row, merged in shard order (exact on rerun). */
  static EntityRow averageRow(Iterable<ShardOutput.TouchedRow> contributions, int dim) {
    List<ShardOutput.TouchedRow> list = new ArrayList<>();
    contributions.forEach(list::add);
    list.sort(Comparator.comparingInt(ShardOutput.TouchedRow::shard));
    List<EntityRowsSnapshot> snapshots = new ArrayList<>(list.size());
    for (ShardOutput.TouchedRow r : list) {
      snapshots.add(new EntityRowsSnapshot(dim, new int[] {r.id()}, r.values(), new float[] {r.adagrad()},
          new int[] {r.touchCount()}));
    }
    EntityRowsSnapshot mean = ParameterAveraging.averageEntityRows(snapshots);
    return new EntityRow(mean.values(), mean.adagrad()[0]);
  }

  /** One ShardData per partition: partition s holds shard s (HashPartitioner on Integer keys is mod P). */
  static JavaRDD<ShardData> shardData(Dataset<Row> partitioned, int shards) {
    return partitioned.select("head", "relation", "tail", "shard").javaRDD()
        .mapToPair(r -> new Tuple2<>(r.getInt(3), new int[] {r.getInt(0), r.getInt(1), r.getInt(2)}))
        .partitionBy(new HashPartitioner(shards))
        .mapPartitionsWithIndex((index, it) -> {
          List<int[]> triples = new ArrayList<>();
          while (it.hasNext()) {
            Tuple2<Integer, int[]> t = it.next();
            if (t._1().intValue() != index.intValue()) {
              throw new IllegalStateException("shard " + t._1() + " landed in partition " + index);
            }
            triples.add(t._2());
          }
          return List.of(ShardData.of(index, triples.toArray(new int[0][]))).iterator();
        }, true);
  }

  @Override
  public void close() {
    shardData.unpersist(false);
    needs.unpersist(false);
    if (shardTokens != null) {
      shardTokens.unpersist(false);
    }
  }
}
