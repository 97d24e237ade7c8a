package org.sparkkge.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;
import org.sparkkge.core.nodepiece.NodePieceEncoder;
import org.sparkkge.jobs.Devices;
import org.sparkkge.jobs.GpuScheduling;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.Json;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.io.StatsFile;
import org.sparkkge.jobs.stage.Requirement;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import scala.Tuple2;

/**
 * Distributed training in rounds (docs/training.md). The driver initialises once (the entity table
 * on the executors, never through the driver); each round a {@link RoundRunner} trains from the
 * previous checkpoint: in shallow mode the stratified schedule ({@link StratifiedRounds}: every
 * entity row owned by one task at a time, only the shared relations merged after every sub-round),
 * in NodePiece mode shards trained from the same parameters and averaged ({@link AveragedRounds}).
 * Each round's checkpoint is written, optionally ranked on triples/valid ({@link RoundValidation}),
 * then marked complete; the last becomes model/final, or with {@code train.validation.keep = best}
 * the validated round with the highest validation MRR. {@code train.validation.patience} stops the
 * rounds early once that many validations have not raised it.
 */
public final class TrainStage implements Stage {
  public static final String NAME = Layout.TRAIN;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "Train embeddings on the executors: tasks own disjoint entity partitions, shared relations merged after every sub-round.";
  }

  @Override
  public void validate(Config config) {
    TrainOptions.from(config);
  }

  @Override
  public List<Requirement> requires(Config config) {
    return TrainOptions.from(config).nodePiece()
        ? List.of(
            Requirement.of(Layout.PARTITIONED_TRIPLES),
            Requirement.because(Layout.TOKENS, "train.mode = nodepiece"))
        : List.of(Requirement.of(Layout.PARTITIONED_TRIPLES));
  }

  @Override
  public List<String> produces(Config config) {
    return List.of(Layout.FINAL_MODEL);
  }

  @Override
  public boolean continuesEarlierRun(Config config) {
    return TrainOptions.from(config).resume();
  }

  @Override
  public String rerunHint() {
    return " or --resume to continue its checkpoints";
  }

  @Override
  public void run(StageContext context) throws Exception {
    TrainOptions options = TrainOptions.from(context.config());
    SparkSession spark = context.spark();
    OutputDirectory output = context.output();
    String compression = context.config().getString("output.compression");
    Checkpoints checkpoints = new Checkpoints(output);
    boolean resume = options.resume();
    if (!resume) {
      if (checkpoints.anyExist()) {
        if (!context.overwrite()) {
          throw new PipelineException(
              "train: checkpoints of an earlier run exist in "
                  + checkpoints.root()
                  + "; use --resume to continue them or --overwrite to start over");
        }
        checkpoints.deleteAll();
      }
    }

    int numEntities = maxIdPlusOne(spark, output, Layout.ENTITIES);
    int numRelations = maxIdPlusOne(spark, output, Layout.RELATIONS);
    Dataset<Row> partitioned =
        spark.read().parquet(output.resolve(Layout.PARTITIONED_TRIPLES).toString());
    Row maxShard = partitioned.agg(max(col("shard"))).first();
    int shards = maxShard.isNullAt(0) ? 0 : maxShard.getInt(0) + 1;
    if (shards == 0) {
      throw new PipelineException("train: " + Layout.PARTITIONED_TRIPLES + " holds no triples");
    }
    ScoringModel model = ScoringModels.byName(options.core().model());
    int relationDim = model.relationWidth(options.core().dim());

    RoundValidation validation = null;
    try (RoundRunner runner =
        openRunner(
            context,
            options,
            checkpoints,
            partitioned,
            shards,
            numEntities,
            numRelations,
            relationDim,
            compression)) {
      MemoryEstimate estimate =
          memoryEstimate(spark, options, runner, (long) numRelations * relationDim);
      estimate.check(shards, options.nodePiece());
      TokenTables tokenDesc = runner.tokenTables();

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
        sharedParams =
            initialize(
                spark,
                checkpoints,
                options,
                runner.tableIds(),
                numRelations,
                relationDim,
                shards,
                compression,
                tokenDesc);
      }

      GpuScheduling.describe(spark.sparkContext(), Devices.localGpus(spark.sparkContext()))
          .ifPresent(line -> context.progress().log("train: " + line));
      String validationSkipped = RoundValidation.skipReason(output, options);
      if (validationSkipped == null && startRound >= rounds) {
        validationSkipped =
            "no round left to train in this run (values of earlier rounds are kept)";
      }
      if (validationSkipped == null) {
        validation = RoundValidation.open(context, options, numEntities, numRelations, tokenDesc);
      } else {
        context.progress().log("train: validation per round: " + validationSkipped);
      }

      // validation MRRs of the rounds a resumed run keeps, for keep = best and the patience
      BestRound best = new BestRound();
      for (int r = 1; r <= Math.min(startRound, rounds); r++) {
        if (checkpoints.metadata(r).get("valid_mrr") instanceof Number mrr) {
          best.add(r, mrr.doubleValue());
        }
      }
      String needing = options.settingNeedingValidation();
      if (needing != null && validation == null && best.isEmpty()) {
        throw new PipelineException(
            "train: "
                + needing
                + " needs validated rounds, but validation per round is off: "
                + validationSkipped);
      }

      List<Map<String, Object>> roundLog = new ArrayList<>();
      long trainStarted = System.nanoTime();
      // fewer when the patience stops the rounds
      int lastRound = rounds;
      // learning-rate scale after divergences: carried from round to round, and from the checkpoint
      // on resume
      double lrScale = startRound > 0 ? lrScale(checkpoints.metadata(startRound)) : 1.0;
      for (int round = startRound + 1; round <= rounds; round++) {
        if (options.patience() > 0 && best.validationsSinceBest() >= options.patience()) {
          lastRound = round - 1;
          context
              .progress()
              .log(
                  String.format(
                      Locale.ROOT,
                      "train: stopping early after round %d: %d validations without a validation MRR above round %d's %.4f (train.validation.patience = %d)",
                      lastRound,
                      best.validationsSinceBest(),
                      best.round(),
                      best.mrr(),
                      options.patience()));
          break;
        }
        long roundStarted = System.nanoTime();
        List<Map<String, Object>> retried = new ArrayList<>();
        RoundResult result;
        while (true) {
          context
              .progress()
              .step(
                  String.format(Locale.ROOT, "round %d of %d (%d shards)", round, rounds, shards));
          checkpoints.prepare(round);
          result = runner.train(round, sharedParams, options.withLearningRateScale(lrScale));
          if (result.diverged() == null) {
            break;
          }
          String why = divergenceReason(result.diverged());
          if (!options.retriesDivergence() || retried.size() >= options.divergenceRetries()) {
            throw new PipelineException(
                String.format(
                    Locale.ROOT,
                    "train: training diverged in round %d, task %d: %s%s. Lower train.lr or train.init-scale, or use a "
                        + "shorter train.round-fraction",
                    round,
                    result.diverged().shard(),
                    why,
                    retried.isEmpty()
                        ? ""
                        : String.format(
                            Locale.ROOT,
                            " (after %d retries with learning rates x %s)",
                            retried.size(),
                            lrScale)));
          }
          Map<String, Object> attempt = new LinkedHashMap<>();
          attempt.put("lr_scale", lrScale);
          attempt.put("task", result.diverged().shard());
          attempt.put("reason", why);
          retried.add(attempt);
          lrScale = retryScale(lrScale, retried.size());
          context
              .progress()
              .log(
                  String.format(
                      Locale.ROOT,
                      "train: round %d diverged (task %d: %s); retrying it from checkpoint %d with learning rates x %s "
                          + "(train.on-divergence = retry, %d of %d)",
                      round,
                      result.diverged().shard(),
                      why,
                      round - 1,
                      lrScale,
                      retried.size(),
                      options.divergenceRetries()));
        }
        result.shared().write(spark, checkpoints.shared(round), compression);
        Map<String, Object> meta =
            roundMetadata(
                round,
                rounds,
                options,
                shards,
                result,
                (System.nanoTime() - roundStarted) / 1e9,
                runner.tasksPerWave(),
                concurrentTasks(spark, runner));
        meta.put("lr_scale", lrScale);
        meta.put("diverged_attempts", retried);
        if (validation != null && options.validates(round, rounds)) {
          context
              .progress()
              .step(String.format(Locale.ROOT, "round %d of %d: validation", round, rounds));
          meta.putAll(validation.validate(spark, checkpoints, round, result.shared()));
          context
              .progress()
              .log(
                  String.format(
                      Locale.ROOT,
                      "train: round %d validation MRR %.4f on %d triples",
                      round,
                      meta.get("valid_mrr"),
                      meta.get("valid_triples")));
          if (meta.get("valid_mrr") instanceof Number mrr) {
            best.add(round, mrr.doubleValue());
          }
        }
        checkpoints.complete(round, meta);
        roundLog.add(meta);
        sharedParams = result.shared();
        context
            .progress()
            .log(
                String.format(
                    Locale.ROOT,
                    "train: round %d/%d done in %.1f s, mean loss %.4f, tasks on %s",
                    round,
                    rounds,
                    (System.nanoTime() - roundStarted) / 1e9,
                    meta.get("mean_loss"),
                    describeDevices((Map<?, ?>) meta.get("task_devices"))));
      }
      double trainSeconds = (System.nanoTime() - trainStarted) / 1e9;
      // validated, yet no MRR to compare (NaN: no valid triple left to rank)
      if (options.keepsBest() && best.isEmpty()) {
        throw new PipelineException(
            "train: train.validation.keep = best, but no round up to "
                + lastRound
                + " has a validation MRR");
      }
      finish(
          context,
          checkpoints,
          options,
          new RunFacts(
              lastRound,
              best,
              numEntities,
              numRelations,
              relationDim,
              shards,
              runner.describe(),
              estimate,
              roundLog,
              trainSeconds,
              startRound,
              compression,
              validation != null
                  ? validation.describe()
                  : validationInfo(options, validationSkipped)));
    } finally {
      if (validation != null) {
        validation.close();
      }
    }
  }

  /**
   * The round runner of this run: the stratified schedule for shallow mode, averaged shards for
   * NodePiece mode.
   */
  private static RoundRunner openRunner(
      StageContext context,
      TrainOptions options,
      Checkpoints checkpoints,
      Dataset<Row> partitioned,
      int shards,
      int numEntities,
      int numRelations,
      int relationDim,
      String compression)
      throws Exception {
    SparkSession spark = context.spark();
    OutputDirectory output = context.output();
    if (!options.nodePiece()) {
      StratifiedSchedule schedule = StratifiedSchedule.forTasks(shards, options.entityPartitions());
      context
          .progress()
          .step(
              String.format(
                  Locale.ROOT,
                  "bucketing triples/partitioned for %d entity partitions (%d tasks per sub-round)",
                  schedule.partitions(),
                  schedule.tasksPerSubRound()));
      return StratifiedRounds.open(
          spark,
          partitioned,
          schedule,
          options,
          checkpoints,
          compression,
          context.progress(),
          numRelations,
          relationDim);
    }
    context
        .progress()
        .step(
            "grouping triples/partitioned into " + shards + " shards with their NodePiece tokens");
    Dataset<Row> tokens =
        spark
            .read()
            .parquet(output.resolve(Layout.TOKENS).toString())
            .select("id", "anchors", "distances", "relations");
    TokenTables tokenDesc =
        TokenTables.describe(
            tokens, spark.read().parquet(output.resolve(Layout.VOCAB).toString()), numRelations);
    return AveragedRounds.open(
        spark, partitioned, shards, numEntities, numRelations, relationDim, tokens, tokenDesc);
  }

  /**
   * The trainer's or the loss check's reason, without the trainer's own advice (the stage gives it
   * once).
   */
  static String divergenceReason(ShardOutput.Summary diverged) {
    return diverged.diverged().replace("; lower train.lr or train.init-scale", "");
  }

  /**
   * The learning-rate scale of retry {@code retry} (1-based) of a diverged round: the first retry
   * keeps the scale, since a divergence that does not come back at the same rates (a task whose
   * inputs and seed are unchanged) needs no lower ones; each later retry halves it.
   */
  static double retryScale(double scale, int retry) {
    return retry <= 1 ? scale : scale / 2;
  }

  /** The learning-rate scale a checkpoint was trained with (1 before divergences were recorded). */
  static double lrScale(Map<String, Object> metadata) {
    Object scale = metadata.get("lr_scale");
    return scale instanceof Number n ? n.doubleValue() : 1.0;
  }

  private static int concurrentTasks(SparkSession spark, RoundRunner runner) {
    return MemoryEstimate.concurrentTasks(
        spark.sparkContext().getConf(),
        spark.sparkContext().defaultParallelism(),
        runner.tasksPerWave());
  }

  private static MemoryEstimate memoryEstimate(
      SparkSession spark, TrainOptions options, RoundRunner runner, long sharedFloats) {
    long rows = runner.largestTaskTableRows();
    long executorBytes =
        MemoryEstimate.executorMemory(
            spark.sparkContext().getConf(), options.executorMemoryBytes());
    return new MemoryEstimate(
        rows,
        options.core().dim(),
        sharedFloats,
        MemoryEstimate.stepFloats(options.core(), rows),
        concurrentTasks(spark, runner),
        executorBytes,
        options.memoryFraction(),
        MemoryEstimate.overheadMemory(spark.sparkContext().getConf(), executorBytes));
  }

  /** What the finish step reports about the run. */
  private record RunFacts(
      int lastRound,
      BestRound best,
      int numEntities,
      int numRelations,
      int relationDim,
      int shards,
      Map<String, Object> schedule,
      MemoryEstimate estimate,
      List<Map<String, Object>> roundLog,
      double trainSeconds,
      int resumedAfter,
      String compression,
      Map<String, Object> validationInfo) {}

  private static SharedParams initialize(
      SparkSession spark,
      Checkpoints checkpoints,
      TrainOptions options,
      JavaRDD<Integer> tableIds,
      int numRelations,
      int relationDim,
      int shards,
      String compression,
      TokenTables tokens)
      throws Exception {
    checkpoints.prepare(0);
    SharedParams shared;
    if (tokens != null) {
      // NodePiece: every parameter is shared (vocabulary embeddings, MLP, relations); no entity
      // table
      ModelParameters p =
          NodePieceEncoder.initialize(options.core(), tokens.shapeOnly(), numRelations);
      shared =
          new SharedParams(
              numRelations, relationDim, p.relations(), p.relationAdagrad(), p.encoder());
      shared.write(spark, checkpoints.shared(0), compression);
      checkpoints.complete(0, initialMetadata(options, shards));
      return shared;
    }
    ScoringModel model = ScoringModels.byName(options.core().model());
    float[] relations = new float[numRelations * relationDim];
    model.initRelations(
        relations,
        options.core().dim(),
        new Random(options.core().seed() ^ 0x5DEECE66DL),
        options.core().initScale());
    shared =
        new SharedParams(numRelations, relationDim, relations, new float[numRelations], List.of());
    long seed = options.core().seed();
    int dim = options.core().dim();
    float scale = options.core().initScale();
    JavaPairRDD<Integer, EntityRow> table =
        tableIds.mapToPair(id -> new Tuple2<>(id, EntityTables.initialRow(seed, id, dim, scale)));
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
  private static void checkResumable(
      Checkpoints checkpoints, int round, TrainOptions options, int shards) throws Exception {
    Map<String, Object> meta = checkpoints.metadata(round);
    Map<String, Object> identity =
        TrainOptions.recordedIdentity((Map<String, Object>) meta.get("identity"));
    Map<String, Object> now = options.identity();
    // compared as JSON text: numbers read back from JSON may come as Integer where the run has Long
    if (identity == null
        || !Json.mapper().writeValueAsString(identity).equals(Json.mapper().writeValueAsString(now))
        || ((Number) meta.get("shards")).intValue() != shards) {
      throw new PipelineException(
          "train: --resume: the checkpoint of round "
              + round
              + " was made with "
              + identity
              + " and "
              + meta.get("shards")
              + " shards; this run has "
              + now
              + " and "
              + shards
              + " shards. Resume with the same settings, or start over with --overwrite");
    }
  }

  private static Map<String, Object> roundMetadata(
      int round,
      int rounds,
      TrainOptions options,
      int shards,
      RoundResult result,
      double seconds,
      int tasksPerWave,
      int concurrent) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("round", round);
    meta.put("rounds", rounds);
    meta.put("shards", shards);
    meta.put("identity", options.identity());
    long triples = 0;
    double weightedLoss = 0;
    double taskSeconds = 0;
    for (ShardOutput.Summary s : result.summaries()) {
      triples += s.triplesTrained();
      if (s.triplesTrained() > 0) {
        weightedLoss += s.meanLoss() * s.triplesTrained();
      }
      taskSeconds += s.wallNanos() / 1e9;
    }
    meta.put("triples_trained", triples);
    meta.put("mean_loss", triples == 0 ? Double.NaN : weightedLoss / triples);
    meta.put("seconds", seconds);
    // time the tasks would take on the slots alone (each wave: the slowest task, or the work spread
    // over
    // the slots); the rest is Spark's: jobs, shuffles, checkpoint writes
    double waves =
        result.summaries().isEmpty()
            ? 0
            : Math.ceil(result.summaries().size() / (double) tasksPerWave);
    double slowest =
        result.summaries().stream().mapToDouble(s -> s.wallNanos() / 1e9).max().orElse(0);
    meta.put("task_seconds", taskSeconds);
    meta.put("task_devices", taskDevices(result.summaries()));
    meta.put(
        "spark_overhead_seconds",
        Math.max(
            0,
            seconds
                - Math.max(taskSeconds / Math.max(1, concurrent), slowest * (waves > 0 ? 1 : 0))));
    meta.putAll(result.details());
    return meta;
  }

  /** How many of the round's tasks ran on each device ("cpu()", "gpu(0)", ...), by device name. */
  static Map<String, Integer> taskDevices(List<ShardOutput.Summary> summaries) {
    Map<String, Integer> devices = new TreeMap<>();
    for (ShardOutput.Summary s : summaries) {
      devices.merge(s.device(), 1, Integer::sum);
    }
    return devices;
  }

  /** e.g. "cpu() (16)" or "gpu(0) (4), gpu(1) (4)" */
  static String describeDevices(Map<?, ?> devices) {
    List<String> parts = new ArrayList<>();
    devices.forEach((device, count) -> parts.add(device + " (" + count + ")"));
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  private void finish(
      StageContext context, Checkpoints checkpoints, TrainOptions options, RunFacts facts)
      throws Exception {
    SparkSession spark = context.spark();
    int rounds = options.rounds();
    int shards = facts.shards();
    MemoryEstimate estimate = facts.estimate();
    List<Map<String, Object>> roundLog = facts.roundLog();
    double trainSeconds = facts.trainSeconds();
    String compression = facts.compression();
    int lastRound = facts.lastRound();
    int finalRound = options.keepsBest() ? facts.best().round() : lastRound;
    // every round's round.json once: the loss and validation curves, the last round's loss
    List<Map<String, Object>> roundMetadata = new ArrayList<>();
    for (int r = 1; r <= lastRound; r++) {
      roundMetadata.add(checkpoints.metadata(r));
    }
    Map<String, Object> last = roundMetadata.get(lastRound - 1);
    Map<String, Object> modelInfo =
        ModelInfo.of(
            options,
            facts.numEntities(),
            facts.numRelations(),
            facts.relationDim(),
            finalRound,
            shards);
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("mode", options.mode());
    stats.put("model", options.core().model());
    stats.put("dim", options.core().dim());
    stats.put("rounds", rounds);
    stats.put("last_round", lastRound);
    stats.put("final_round", finalRound);
    stats.put("keep", options.keep());
    stats.put("stopped_early_after_round", lastRound < rounds ? lastRound : null);
    stats.put("best_valid_round", facts.best().isEmpty() ? null : facts.best().round());
    stats.put("best_valid_mrr", facts.best().isEmpty() ? null : facts.best().mrr());
    stats.put("epochs", options.core().epochs());
    stats.put("round_fraction", options.roundFraction());
    stats.put("shards", shards);
    stats.put("resumed_after_round", facts.resumedAfter());
    stats.put("entities", facts.numEntities());
    stats.put("relations", facts.numRelations());
    stats.putAll(facts.schedule());
    stats.put("largest_task_table_rows", estimate.rowsPerTask());
    stats.put("memory_estimate_heap_bytes_per_task", estimate.heapBytesPerTask());
    stats.put("memory_estimate_off_heap_bytes_per_task", estimate.offHeapBytesPerTask());
    stats.put("memory_estimate_bytes_per_executor", estimate.perExecutorBytes());
    stats.put("memory_budget_bytes", estimate.budgetBytes());
    stats.put("final_mean_loss", last.get("mean_loss"));
    stats.put("train_seconds_this_run", trainSeconds);
    long triples =
        roundLog.stream().mapToLong(m -> ((Number) m.get("triples_trained")).longValue()).sum();
    stats.put("triples_per_second_this_run", trainSeconds > 0 ? triples / trainSeconds : 0);
    // the trainer's own rate inside the tasks, and the share of it the stage delivers on its slots
    double taskSeconds =
        roundLog.stream().mapToDouble(m -> ((Number) m.get("task_seconds")).doubleValue()).sum();
    double taskRate = taskSeconds > 0 ? triples / taskSeconds : 0;
    stats.put("task_triples_per_second", taskRate);
    stats.put("concurrent_tasks", estimate.concurrentTasks());
    stats.put(
        "stage_efficiency",
        taskRate > 0 && trainSeconds > 0
            ? triples / trainSeconds / (taskRate * estimate.concurrentTasks())
            : 0);
    stats.put(
        "spark_overhead_seconds_per_round",
        roundLog.stream()
            .mapToDouble(m -> ((Number) m.get("spark_overhead_seconds")).doubleValue())
            .average()
            .orElse(0));
    List<Object> lossCurve = new ArrayList<>();
    // aligned with round_mean_loss; null for rounds not validated (also rounds of an earlier,
    // resumed run)
    List<Object> validCurve = new ArrayList<>();
    for (Map<String, Object> meta : roundMetadata) {
      lossCurve.add(meta.get("mean_loss"));
      validCurve.add(meta.get("valid_mrr"));
    }
    stats.put("round_mean_loss", lossCurve);
    stats.put("round_valid_mrr", validCurve);
    stats.put("validation", facts.validationInfo());

    context.addDatasets(
        List.of(Layout.FINAL_MODEL),
        staging -> {
          Path dir = new Path(staging, Layout.FINAL_MODEL);
          if (!options.nodePiece()) {
            EntityTables.writer(
                    EntityTables.rows(spark, checkpoints.entities(finalRound)), compression)
                .parquet(new Path(dir, Layout.MODEL_ENTITIES).toString());
          }
          spark
              .read()
              .parquet(checkpoints.shared(finalRound))
              .coalesce(1)
              .write()
              .option("compression", compression)
              .parquet(new Path(dir, Layout.MODEL_SHARED).toString());
          StatsFile.write(
              dir.getFileSystem(spark.sparkContext().hadoopConfiguration()),
              new Path(dir, Layout.MODEL_INFO),
              modelInfo);
          return stats;
        });
    StatsFile.putSection(context.output(), Layout.STATS_JSON, NAME, stats);
    context
        .out()
        .printf(
            Locale.ROOT,
            "train: %s %s dim %d, %d rounds on %d shards, final mean loss %.4f%s%n",
            options.mode(),
            options.core().model(),
            options.core().dim(),
            lastRound,
            shards,
            ((Number) last.get("mean_loss")).doubleValue(),
            finalRound == lastRound
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; model/final is round %d (best validation MRR %.4f, train.validation.keep = best)",
                    finalRound,
                    facts.best().mrr()));
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

  static int maxIdPlusOne(SparkSession spark, OutputDirectory output, String dataset) {
    Row row = Layout.read(spark, output, dataset).agg(max(col("id"))).first();
    return row.isNullAt(0) ? 0 : row.getInt(0) + 1;
  }
}
