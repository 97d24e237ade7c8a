package org.sparkkge.jobs.train;

import java.util.ArrayList;
import java.util.Collections;
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
import org.sparkkge.core.average.ParameterAveraging;
import org.sparkkge.core.average.SharedSnapshot;
import org.sparkkge.core.nodepiece.NodePieceEncoder;
import org.sparkkge.jobs.GpuScheduling;
import scala.Tuple2;

/**
 * NodePiece rounds: P shards trained at once from the same parameters and merged by parameter
 * averaging (Dist-KGE). Every NodePiece parameter (token embeddings, encoder, relations) is shared,
 * so all of them are averaged over the shards, weighted by triples trained. Each shard's token rows
 * are joined to it once and kept for the run.
 */
final class AveragedRounds implements RoundRunner {
  private final SparkSession spark;
  private final int numRelations;
  private final int relationDim;
  private final int shards;
  private final JavaRDD<ShardData> shardData;
  private final List<long[]> sizes;
  private final HashPartitioner entityPartitioner;
  private final JavaPairRDD<Integer, Integer> needs;
  private final TokenTables tokenDesc;
  private final JavaRDD<LocalTokens> shardTokens;

  private AveragedRounds(
      SparkSession spark,
      int numRelations,
      int relationDim,
      int shards,
      JavaRDD<ShardData> shardData,
      List<long[]> sizes,
      HashPartitioner entityPartitioner,
      JavaPairRDD<Integer, Integer> needs,
      TokenTables tokenDesc,
      JavaRDD<LocalTokens> shardTokens) {
    this.spark = spark;
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
   * Groups {@code partitioned} into its P shards and joins each its token table ({@code tokens},
   * {@code tokenDesc}); both persisted for the run.
   */
  static AveragedRounds open(
      SparkSession spark,
      Dataset<Row> partitioned,
      int shards,
      int numEntities,
      int numRelations,
      int relationDim,
      Dataset<Row> tokens,
      TokenTables tokenDesc) {
    JavaRDD<ShardData> shardData =
        shardData(partitioned, shards).persist(StorageLevel.MEMORY_AND_DISK());
    List<long[]> sizes =
        shardData.map(s -> new long[] {s.shard(), s.size(), s.entityIds().length}).collect();
    int tableParts =
        Math.max(
            1,
            Math.min(
                spark.sparkContext().defaultParallelism() * 2,
                (int) Math.max(1, numEntities / 50_000)));
    HashPartitioner entityPartitioner = new HashPartitioner(tableParts);
    JavaPairRDD<Integer, Integer> needs =
        shardData
            .flatMapToPair(
                s -> {
                  List<Tuple2<Integer, Integer>> out = new ArrayList<>(s.entityIds().length);
                  for (int id : s.entityIds()) out.add(new Tuple2<>(id, s.shard()));
                  return out.iterator();
                })
            .partitionBy(entityPartitioner)
            .persist(StorageLevel.MEMORY_AND_DISK());
    JavaRDD<LocalTokens> shardTokens;
    {
      TokenTables desc = tokenDesc;
      JavaPairRDD<Integer, Row> tokensByShard =
          tokens
              .javaRDD()
              .mapToPair(r -> new Tuple2<>(r.getInt(0), r))
              .join(needs, entityPartitioner)
              .mapToPair(e -> new Tuple2<>(e._2()._2(), e._2()._1()))
              .partitionBy(new HashPartitioner(shards));
      shardTokens =
          shardData
              .zipPartitions(
                  tokensByShard.values(),
                  (Iterator<ShardData> data, Iterator<Row> rows) -> {
                    if (!data.hasNext()) {
                      return Collections.emptyIterator();
                    }
                    List<Row> list = new ArrayList<>();
                    rows.forEachRemaining(list::add);
                    return List.of(LocalTokens.of(data.next(), list, desc)).iterator();
                  })
              .persist(StorageLevel.MEMORY_AND_DISK());
    }
    return new AveragedRounds(
        spark,
        numRelations,
        relationDim,
        shards,
        shardData,
        sizes,
        entityPartitioner,
        needs,
        tokenDesc,
        shardTokens);
  }

  @Override
  public TokenTables tokenTables() {
    return tokenDesc;
  }

  /** The schedule and (shard, triples, entities) of every shard. */
  @Override
  public Map<String, Object> describe() {
    List<Map<String, Object>> shardSizes = new ArrayList<>();
    for (long[] s : sizes) {
      shardSizes.add(Map.of("shard", s[0], "triples", s[1], "entities", s[2]));
    }
    shardSizes.sort(Comparator.comparingLong(m -> (Long) m.get("shard")));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schedule", TrainOptions.AVERAGED);
    m.put("shard_sizes", shardSizes);
    return m;
  }

  @Override
  public long largestTaskTableRows() {
    return 0; // no entity rows: entities are encoded from their tokens
  }

  @Override
  public int tasksPerWave() {
    return shards;
  }

  @Override
  public RoundResult train(int round, SharedParams shared, TrainOptions roundOptions)
      throws Exception {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<RoundInput> input =
        jsc.broadcast(
            new RoundInput(
                round,
                roundOptions,
                numRelations,
                relationDim,
                shared.relations(),
                shared.relationAdagrad(),
                // every shard starts from the same tensors, Adam state included, so that their
                // outputs average tensor by tensor
                TensorData.of(NodePieceEncoder.withOptimizerState(shared.encoder()))));
    TokenTables desc = tokenDesc;
    JavaRDD<ShardOutput> outputs =
        GpuScheduling.onDevice(
                shardTokens.flatMap(
                    t ->
                        ShardTask.trainNodePiece(t.shard(), t.table(desc), input.value())
                            .iterator()))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<ShardOutput.Summary> summaries =
          new ArrayList<>(
              outputs
                  .filter(o -> o instanceof ShardOutput.Summary)
                  .map(o -> (ShardOutput.Summary) o)
                  .collect());
      summaries.sort(Comparator.comparingInt(ShardOutput.Summary::shard));
      ShardTask.requireUsableDevices(summaries);
      for (ShardOutput.Summary s : summaries) {
        if (s.diverged() != null) {
          return new RoundResult(shared, summaries, s, Map.of());
        }
      }
      List<SharedSnapshot> snapshots = new ArrayList<>();
      for (ShardOutput.Summary s : summaries) {
        snapshots.add(
            new SharedSnapshot(
                numRelations,
                relationDim,
                s.relations(),
                s.relationAdagrad(),
                TensorData.toDense(s.encoder()),
                s.triplesTrained()));
      }
      SharedParams merged = SharedParams.of(ParameterAveraging.averageShared(snapshots));
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("schedule", TrainOptions.AVERAGED);
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

  /**
   * One ShardData per partition: partition s holds shard s (HashPartitioner on Integer keys is mod
   * P).
   */
  static JavaRDD<ShardData> shardData(Dataset<Row> partitioned, int shards) {
    return partitioned
        .select("head", "relation", "tail", "shard")
        .javaRDD()
        .mapToPair(
            r -> new Tuple2<>(r.getInt(3), new int[] {r.getInt(0), r.getInt(1), r.getInt(2)}))
        .partitionBy(new HashPartitioner(shards))
        .mapPartitionsWithIndex(
            (index, it) -> {
              List<int[]> triples = new ArrayList<>();
              while (it.hasNext()) {
                Tuple2<Integer, int[]> t = it.next();
                if (t._1().intValue() != index.intValue()) {
                  throw new IllegalStateException(
                      "shard " + t._1() + " landed in partition " + index);
                }
                triples.add(t._2());
              }
              return List.of(ShardData.of(index, triples.toArray(new int[0][]))).iterator();
            },
            true);
  }

  @Override
  public void close() {
    shardData.unpersist(false);
    needs.unpersist(false);
    shardTokens.unpersist(false);
  }
}
