package org.sparkkge.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import org.apache.hadoop.fs.Path;
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
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import scala.Tuple2;

/**
 * Distributed training by rounds of parameter averaging (docs/training.md). The driver initialises
 * once; every round it broadcasts the shared parameters, each Spark task trains one shard of
 * triples/partitioned for train.round-fraction of an epoch, and the merge averages relations over all
 * shards (weighted by triples trained) and each entity row over the shards that touched it (weighted
 * by touch count). The shallow entity table stays in Spark: each shard gets only its rows by a join,
 * and the table goes to a Parquet checkpoint after every round. With train.validation.every-rounds, the
 * round's checkpoint is then ranked on triples/valid ({@link RoundValidation}) before it is marked complete.
 */
public final class TrainStage implements Stage {
  public static final String NAME = "train";
  public static final String PARTITIONED = "triples/partitioned";
  public static final String FINAL = "model/final";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "Train embeddings: shards of triples/partitioned on the executors, parameter averaging after every round.";
  }

  @Override
  public void validate(com.typesafe.config.Config config) {
    TrainOptions.from(config);
  }

  @Override
  public void run(StageContext context) throws Exception {
    TrainOptions options = TrainOptions.from(context.config());
    SparkSession spark = context.spark();
    OutputDirectory output = context.output();
    String compression = context.config().getString("output.compression");
    requireDataset(output, "partition", PARTITIONED);
    Checkpoints checkpoints = new Checkpoints(output);
    boolean resume = options.resume();
    if (!resume) {
      if (output.isStageComplete(NAME) && !context.overwrite()) {
        throw new PipelineException("train: " + output.resolve(FINAL)
            + " already exists; use --overwrite to train again or --resume to continue its checkpoints");
      }
      if (checkpoints.anyExist()) {
        if (!context.overwrite()) {
          throw new PipelineException("train: checkpoints of an earlier run exist in " + checkpoints.root()
              + "; use --resume to continue them or --overwrite to start over");
        }
        checkpoints.deleteAll();
      }
    }

    int numEntities = maxIdPlusOne(spark, output, "entities");
    int numRelations = maxIdPlusOne(spark, output, "relations");
    Dataset<Row> partitioned = spark.read().parquet(output.resolve(PARTITIONED).toString());
    int shards = partitioned.agg(max(col("shard"))).first().isNullAt(0) ? 0
        : partitioned.agg(max(col("shard"))).first().getInt(0) + 1;
    if (shards == 0) {
      throw new PipelineException("train: " + PARTITIONED + " holds no triples");
    }
    ScoringModel model = ScoringModels.byName(options.core().model());
    int dim = options.core().dim();
    int relationDim = model.relationWidth(dim);

    context.progress().step("grouping triples/partitioned into " + shards + " shards");
    JavaRDD<ShardData> shardData = shardData(partitioned, shards).persist(StorageLevel.MEMORY_AND_DISK());
    JavaPairRDD<Integer, Integer> needs = null;
    List<JavaRDD<?>> toRelease = new ArrayList<>();
    RoundValidation validation = null;
    try {
      List<long[]> sizes = shardData.map(s -> new long[] {s.shard(), s.size(), s.entityIds().length}).collect();
      long largestRows = options.nodePiece() ? 0 : sizes.stream().mapToLong(s -> s[2]).max().orElse(0);
      long shared = (long) numRelations * relationDim;
      int concurrent = MemoryEstimate.concurrentTasks(spark.sparkContext().getConf(),
          spark.sparkContext().defaultParallelism(), shards);
      MemoryEstimate estimate = new MemoryEstimate(largestRows, dim, shared, options.optimizerStateFactor(),
          concurrent, MemoryEstimate.executorMemory(spark.sparkContext().getConf(), options.executorMemoryBytes()),
          options.memoryFraction());
      estimate.check(shards, options.nodePiece());

      int tableParts = Math.max(1, Math.min(spark.sparkContext().defaultParallelism() * 2,
          (int) Math.max(1, numEntities / 50_000)));
      HashPartitioner entityPartitioner = new HashPartitioner(tableParts);
      needs = shardData.flatMapToPair(s -> {
            List<Tuple2<Integer, Integer>> out = new ArrayList<>(s.entityIds().length);
            for (int id : s.entityIds()) out.add(new Tuple2<>(id, s.shard()));
            return out.iterator();
          })
          .partitionBy(entityPartitioner)
          .persist(StorageLevel.MEMORY_AND_DISK());

      TokenTables tokenDesc = null;
      JavaRDD<LocalTokens> shardTokens = null;
      if (options.nodePiece()) {
        requireDataset(output, "tokenize", "tokens");
        context.progress().step("gathering each shard's NodePiece tokens");
        Dataset<Row> tokens = spark.read().parquet(output.resolve("tokens").toString())
            .select("id", "anchors", "distances", "relations");
        tokenDesc = TokenTables.describe(tokens, spark.read().parquet(output.resolve("vocab").toString()),
            numRelations);
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
        toRelease.add(shardTokens);
      }

      int rounds = options.rounds();
      int startRound;
      SharedParams sharedParams;
      if (resume && checkpoints.latestComplete().isPresent()) {
        startRound = checkpoints.latestComplete().getAsInt();
        checkResumable(checkpoints, startRound, options, shards);
        sharedParams = SharedParams.read(spark, checkpoints.shared(startRound));
        context.progress().log("train: resuming after round " + startRound + " of " + rounds);
      } else {
        startRound = 0;
        sharedParams = initialize(spark, checkpoints, options, numEntities, numRelations, relationDim, shards,
            compression, tokenDesc);
      }

      String validationSkipped = RoundValidation.skipReason(output, options);
      if (validationSkipped == null && startRound >= rounds) {
        validationSkipped = "no round left to train in this run (values of earlier rounds are kept)";
      }
      if (validationSkipped == null) {
        validation = RoundValidation.open(context, options, numEntities, numRelations, tokenDesc);
      } else {
        context.progress().log("train: validation per round: " + validationSkipped);
      }

      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      List<Map<String, Object>> roundLog = new ArrayList<>();
      long trainStarted = System.nanoTime();
      for (int round = startRound + 1; round <= rounds; round++) {
        long roundStarted = System.nanoTime();
        context.progress().step(String.format(Locale.ROOT, "round %d of %d (%d shards)", round, rounds, shards));
        Broadcast<RoundInput> input = jsc.broadcast(new RoundInput(round, options, numRelations, relationDim,
            sharedParams.relations(), sharedParams.relationAdagrad(), TensorData.of(sharedParams.encoder())));
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
                    ShardData shard = data.next();
                    return ShardTask.trainShallow(shard, rows, input.value()).iterator();
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
              throw new PipelineException(String.format(Locale.ROOT,
                  "train: training diverged in round %d, shard %d: %s. Lower train.lr or train.init-scale, "
                      + "or use a shorter train.round-fraction", round, s.shard(), s.diverged()));
            }
          }
          List<SharedSnapshot> snapshots = new ArrayList<>();
          for (ShardOutput.Summary s : summaries) {
            snapshots.add(new SharedSnapshot(numRelations, relationDim, s.relations(), s.relationAdagrad(),
                TensorData.toDense(s.encoder()), s.triplesTrained()));
          }
          SharedParams merged = SharedParams.of(ParameterAveraging.averageShared(snapshots));
          checkpoints.prepare(round);
          if (table != null) {
            int d = dim;
            JavaPairRDD<Integer, EntityRow> averaged = outputs
                .filter(o -> o instanceof ShardOutput.TouchedRow)
                .mapToPair(o -> new Tuple2<>(((ShardOutput.TouchedRow) o).id(), (ShardOutput.TouchedRow) o))
                .groupByKey(entityPartitioner)
                .mapValues(contributions -> averageRow(contributions, d));
            JavaPairRDD<Integer, EntityRow> next = table.leftOuterJoin(averaged, entityPartitioner)
                .mapValues(v -> v._2().isPresent() ? v._2().get() : v._1());
            EntityTables.write(spark, next, checkpoints.entities(round), compression);
          }
          merged.write(spark, checkpoints.shared(round), compression);
          Map<String, Object> meta = roundMetadata(round, rounds, options, shards, summaries,
              (System.nanoTime() - roundStarted) / 1e9);
          if (validation != null && options.validates(round, rounds)) {
            context.progress().step(String.format(Locale.ROOT, "round %d of %d: validation", round, rounds));
            meta.putAll(validation.validate(spark, checkpoints, round, merged));
            context.progress().log(String.format(Locale.ROOT, "train: round %d validation MRR %.4f on %d triples",
                round, meta.get("valid_mrr"), meta.get("valid_triples")));
          }
          checkpoints.complete(round, meta);
          roundLog.add(meta);
          sharedParams = merged;
          context.progress().log(String.format(Locale.ROOT, "train: round %d/%d done in %.1f s, mean loss %.4f",
              round, rounds, (System.nanoTime() - roundStarted) / 1e9, meta.get("mean_loss")));
        } finally {
          outputs.unpersist(false);
          input.destroy();
        }
      }
      double trainSeconds = (System.nanoTime() - trainStarted) / 1e9;
      finish(context, checkpoints, options, rounds, numEntities, numRelations, relationDim, shards, sizes,
          estimate, roundLog, trainSeconds, startRound, compression,
          validation != null ? validation.describe() : validationInfo(options, validationSkipped));
    } finally {
      if (validation != null) {
        validation.close();
      }
      shardData.unpersist(false);
      if (needs != null) {
        needs.unpersist(false);
      }
      for (JavaRDD<?> rdd : toRelease) {
        rdd.unpersist(false);
      }
    }
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

  private static SharedParams initialize(SparkSession spark, Checkpoints checkpoints, TrainOptions options,
      int numEntities, int numRelations, int relationDim, int shards, String compression, TokenTables tokens)
      throws Exception {
    checkpoints.prepare(0);
    SharedParams shared;
    if (tokens != null) {
      // NodePiece: every parameter is shared (vocabulary embeddings, MLP, relations); no entity table
      org.sparkkge.core.ModelParameters p = org.sparkkge.core.nodepiece.NodePieceEncoder.initialize(
          options.core(), tokens.shapeOnly(), numRelations);
      shared = new SharedParams(numRelations, relationDim, p.relations(), p.relationAdagrad(), p.encoder());
      shared.write(spark, checkpoints.shared(0), compression);
      checkpoints.complete(0, initialMetadata(options, shards));
      return shared;
    }
    ScoringModel model = ScoringModels.byName(options.core().model());
    float[] relations = new float[numRelations * relationDim];
    model.initRelations(relations, options.core().dim(), new Random(options.core().seed() ^ 0x5DEECE66DL),
        options.core().initScale());
    shared = new SharedParams(numRelations, relationDim, relations, new float[numRelations], List.of());
    long seed = options.core().seed();
    int dim = options.core().dim();
    float scale = options.core().initScale();
    JavaPairRDD<Integer, EntityRow> table = spark.range(numEntities).javaRDD()
        .mapToPair(id -> new Tuple2<>((int) (long) id, EntityTables.initialRow(seed, (int) (long) id, dim, scale)));
    EntityTables.write(spark, table, checkpoints.entities(0), compression);
    shared.write(spark, checkpoints.shared(0), compression);
    checkpoints.complete(0, initialMetadata(options, shards));
    return shared;
  }

  private static Map<String, Object> initialMetadata(TrainOptions options, int shards) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("round", 0);
    meta.put("rounds", options.rounds());
    meta.put("shards", shards);
    meta.put("identity", options.identity());
    return meta;
  }

  @SuppressWarnings("unchecked")
  private static void checkResumable(Checkpoints checkpoints, int round, TrainOptions options, int shards)
      throws Exception {
    Map<String, Object> meta = checkpoints.metadata(round);
    Map<String, Object> identity = (Map<String, Object>) meta.get("identity");
    Map<String, Object> now = options.identity();
    // compared as JSON text: numbers read back from JSON may come as Integer where the run has Long
    if (identity == null
        || !Checkpoints.JSON.writeValueAsString(identity).equals(Checkpoints.JSON.writeValueAsString(now)) || ((Number) meta.get("shards")).intValue() != shards) {
      throw new PipelineException("train: --resume: the checkpoint of round " + round + " was made with "
          + identity + " and " + meta.get("shards") + " shards; this run has " + now + " and " + shards
          + " shards. Resume with the same settings, or start over with --overwrite");
    }
  }

  private static Map<String, Object> roundMetadata(int round, int rounds, TrainOptions options, int shards,
      List<ShardOutput.Summary> summaries, double seconds) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("round", round);
    meta.put("rounds", rounds);
    meta.put("shards", shards);
    meta.put("identity", options.identity());
    long triples = 0;
    double weightedLoss = 0;
    List<Map<String, Object>> perShard = new ArrayList<>();
    for (ShardOutput.Summary s : summaries) {
      triples += s.triplesTrained();
      if (s.triplesTrained() > 0) {
        weightedLoss += s.meanLoss() * s.triplesTrained();
      }
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
    meta.put("triples_trained", triples);
    meta.put("mean_loss", triples == 0 ? Double.NaN : weightedLoss / triples);
    meta.put("seconds", seconds);
    double slowestShard = summaries.stream().mapToDouble(s -> s.wallNanos() / 1e9).max().orElse(0);
    meta.put("spark_overhead_seconds", Math.max(0, seconds - slowestShard));
    meta.put("per_shard", perShard);
    return meta;
  }

  private void finish(StageContext context, Checkpoints checkpoints, TrainOptions options, int rounds,
      int numEntities, int numRelations, int relationDim, int shards, List<long[]> sizes, MemoryEstimate estimate,
      List<Map<String, Object>> roundLog, double trainSeconds, int resumedAfter, String compression,
      Map<String, Object> validationInfo) throws Exception {
    SparkSession spark = context.spark();
    Map<String, Object> last = checkpoints.metadata(rounds);
    Map<String, Object> modelInfo = ModelInfo.of(options, numEntities, numRelations, relationDim, rounds, shards);
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("mode", options.mode());
    stats.put("model", options.core().model());
    stats.put("dim", options.core().dim());
    stats.put("rounds", rounds);
    stats.put("epochs", options.core().epochs());
    stats.put("round_fraction", options.roundFraction());
    stats.put("shards", shards);
    stats.put("resumed_after_round", resumedAfter);
    stats.put("entities", numEntities);
    stats.put("relations", numRelations);
    List<Map<String, Object>> shardSizes = new ArrayList<>();
    for (long[] s : sizes) {
      shardSizes.add(Map.of("shard", s[0], "triples", s[1], "entities", s[2]));
    }
    shardSizes.sort(Comparator.comparingLong(m -> (Long) m.get("shard")));
    stats.put("shard_sizes", shardSizes);
    stats.put("memory_estimate_bytes_per_executor", estimate.perExecutorBytes());
    stats.put("memory_budget_bytes", estimate.budgetBytes());
    stats.put("final_mean_loss", last.get("mean_loss"));
    stats.put("train_seconds_this_run", trainSeconds);
    long triples = roundLog.stream().mapToLong(m -> ((Number) m.get("triples_trained")).longValue()).sum();
    stats.put("triples_per_second_this_run", trainSeconds > 0 ? triples / trainSeconds : 0);
    stats.put("spark_overhead_seconds_per_round", roundLog.stream()
        .mapToDouble(m -> ((Number) m.get("spark_overhead_seconds")).doubleValue()).average().orElse(0));
    List<Object> lossCurve = new ArrayList<>();
    for (int r = 1; r <= rounds; r++) {
      lossCurve.add(checkpoints.metadata(r).get("mean_loss"));
    }
    stats.put("round_mean_loss", lossCurve);
    // aligned with round_mean_loss; null for rounds not validated (also rounds of an earlier, resumed run)
    List<Object> validCurve = new ArrayList<>();
    for (int r = 1; r <= rounds; r++) {
      validCurve.add(checkpoints.metadata(r).get("valid_mrr"));
    }
    stats.put("round_valid_mrr", validCurve);
    stats.put("validation", validationInfo);

    context.addDatasets(List.of(FINAL), staging -> {
      Path dir = new Path(staging, FINAL);
      if (!options.nodePiece()) {
        spark.read().parquet(checkpoints.entities(rounds)).write().option("compression", compression)
            .parquet(new Path(dir, Checkpoints.ENTITIES).toString());
      }
      spark.read().parquet(checkpoints.shared(rounds)).coalesce(1).write().option("compression", compression)
          .parquet(new Path(dir, Checkpoints.SHARED).toString());
      StatsFile.write(dir.getFileSystem(spark.sparkContext().hadoopConfiguration()), new Path(dir, "model.json"),
          modelInfo);
      return stats;
    });
    StatsFile.putSection(context.output(), "stats.json", NAME, stats);
    context.out().printf(Locale.ROOT, "train: %s %s dim %d, %d rounds on %d shards, final mean loss %.4f%n",
        options.mode(), options.core().model(), options.core().dim(), rounds, shards,
        ((Number) last.get("mean_loss")).doubleValue());
    context.out().flush();
  }

  /** stats.json's validation entry of a run that ranks nothing: the settings and why. */
  private static Map<String, Object> validationInfo(TrainOptions options, String skipped) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("every_rounds", options.validationEveryRounds());
    m.put("max_triples", options.validationMaxTriples());
    m.put("triples", 0);
    if (skipped != null) {
      m.put("skipped", skipped);
    }
    return m;
  }

  /** Fails naming the dataset and the stage that writes it unless that stage completed. */
  public static void requireDataset(OutputDirectory output, String stage, String dataset) throws Exception {
    if (!output.isStageComplete(stage) || !output.fileSystem().exists(output.resolve(dataset))) {
      throw new PipelineException("missing dataset " + dataset + " in " + output.path() + " (written by the "
          + stage + " stage): run `spark-kge " + stage + "` first");
    }
  }

  static int maxIdPlusOne(SparkSession spark, OutputDirectory output, String dataset) {
    Row row = spark.read().parquet(output.resolve(dataset).toString()).agg(max(col("id"))).first();
    return row.isNullAt(0) ? 0 : row.getInt(0) + 1;
  }
}
