package org.sparkkge.jobs.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.jobs.UsageException;

/**
 * The train.* settings: the shard trainer's knobs (embedding-core {@link TrainConfig}, same
 * kebab-case keys, except max-steps, which the round length decides) plus the distributed loop's
 * own.
 *
 * @param mode shallow (entity lookup table in Spark, stratified schedule) or nodepiece (shared
 *     encoder, entities encoded, shards averaged)
 * @param core the trainer settings (embedding-core's TrainConfig); {@code epochs} is the total
 *     number of passes over the training triples
 * @param roundFraction fraction of an epoch each shard trains per round (averaging after every
 *     round)
 * @param maxLoss a shard's mean round loss above this (or NaN/infinite) stops the run as diverged
 * @param resume continue from the last complete checkpoint (also set by --resume)
 * @param executorMemoryBytes memory a task may use for parameters; 0 = spark.executor.memory
 *     (local: the JVM heap)
 * @param memoryFraction share of that memory the parameter estimate may take
 * @param validationEveryRounds rank triples/valid after every N-th round and after the last (0 =
 *     never)
 * @param validationMaxTriples valid triples ranked: a seeded subset of this size (0 = all)
 * @param keep which round becomes model/final: {@link #KEEP_LAST} or {@link #KEEP_BEST} (the
 *     validated round with the highest validation MRR)
 * @param patience stop training after this many validations in a row without a new best validation
 *     MRR (0 = never stop early)
 * @param entityPartitions entity partitions B of the stratified schedule (even); 0 = 2 x shards
 * @param negativePoolRows stratified schedule: rows sampled from all partitions that join every
 *     task's table as extra negative candidates (0 = negatives only from the task's own partitions)
 * @param bucketSlices stratified schedule: slices each bucket is trained in per round, one per pass
 *     through the sub-rounds (0 = {@link #bucketSlices(int)}'s rule)
 * @param onDivergence retry (the round again from its checkpoint, at the same then halved learning
 *     rates, up to divergenceRetries times per round) or fail
 * @param divergenceRetries retries of one diverged round before the run fails
 */
public record TrainOptions(
    String mode,
    TrainConfig core,
    double roundFraction,
    double maxLoss,
    boolean resume,
    long executorMemoryBytes,
    double memoryFraction,
    int validationEveryRounds,
    int validationMaxTriples,
    String keep,
    int patience,
    int entityPartitions,
    int negativePoolRows,
    int bucketSlices,
    String onDivergence,
    int divergenceRetries)
    implements Serializable {

  public static final String SHALLOW = "shallow";
  public static final String NODEPIECE = "nodepiece";
  public static final String STRATIFIED = "stratified";
  public static final String AVERAGED = "averaged";
  public static final String KEEP_LAST = "last";
  public static final String KEEP_BEST = "best";

  /** train.bucket-slices = 0: passes through the sub-rounds per epoch ({@link #bucketSlices}). */
  static final int PASSES_PER_EPOCH = 3;

  /** Keys of train.* that belong to the distributed loop, not to embedding-core's TrainConfig. */
  static final Set<String> OWN_KEYS =
      Set.of(
          "mode",
          "round-fraction",
          "max-loss",
          "resume",
          "memory",
          "validation",
          "entity-partitions",
          "negative-pool",
          "bucket-slices",
          "on-divergence",
          "divergence-retries");

  public static TrainOptions from(Config config) {
    try {
      Config t = config.getConfig("train");
      String mode = t.getString("mode").trim().toLowerCase(Locale.ROOT);
      if (!mode.equals(SHALLOW) && !mode.equals(NODEPIECE)) {
        throw new UsageException("train.mode must be shallow or nodepiece, got '" + mode + "'");
      }
      Map<String, String> coreValues = new LinkedHashMap<>();
      for (String key : TrainConfig.KEYS.keySet()) {
        if (key.equals("max-steps")) {
          continue; // the round length decides the steps of each round
        }
        if (t.hasPath(key)) {
          coreValues.put(key, String.valueOf(t.getAnyRef(key)));
        }
      }
      TrainConfig core;
      try {
        core = TrainConfig.fromMap(coreValues);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage(), e);
      }
      double fraction = t.getDouble("round-fraction");
      if (!(fraction > 0) || Double.isInfinite(fraction)) {
        throw new UsageException(
            "train.round-fraction must be > 0 (fraction of an epoch per round), got " + fraction);
      }
      double maxLoss = t.getDouble("max-loss");
      if (!(maxLoss > 0)) {
        throw new UsageException("train.max-loss must be > 0, got " + maxLoss);
      }
      long memory = t.getBytes("memory.executor-bytes");
      double memoryFraction = t.getDouble("memory.fraction");
      if (memory < 0 || !(memoryFraction > 0 && memoryFraction <= 1)) {
        throw new UsageException(
            "train.memory: executor-bytes must be >= 0 and fraction in (0, 1]; got "
                + memory
                + ", "
                + memoryFraction);
      }
      int every = t.getInt("validation.every-rounds");
      int maxTriples = t.getInt("validation.max-triples");
      if (every < 0 || maxTriples < 0) {
        throw new UsageException(
            "train.validation: every-rounds and max-triples must be >= 0 (0 = off / all); got "
                + every
                + ", "
                + maxTriples);
      }
      String keep = t.getString("validation.keep").trim().toLowerCase(Locale.ROOT);
      if (!keep.equals(KEEP_LAST) && !keep.equals(KEEP_BEST)) {
        throw new UsageException("train.validation.keep must be last or best, got '" + keep + "'");
      }
      int patience = t.getInt("validation.patience");
      if (patience < 0) {
        throw new UsageException(
            "train.validation.patience must be >= 0 (validations without a new best before"
                + " training stops; 0 = never), got "
                + patience);
      }
      String needing = settingNeedingValidation(keep, patience);
      if (needing != null && every == 0) {
        throw new UsageException(
            needing
                + " needs the validation MRR of the rounds: set train.validation.every-rounds > 0");
      }
      int entityPartitions = t.getInt("entity-partitions");
      if (entityPartitions < 0 || entityPartitions == 1 || entityPartitions % 2 != 0) {
        throw new UsageException(
            "train.entity-partitions must be 0 (2 x the shards) or an even number >= 2, got "
                + entityPartitions);
      }
      int pool = t.getInt("negative-pool");
      if (pool < 0) {
        throw new UsageException("train.negative-pool must be >= 0 (rows; 0 = none), got " + pool);
      }
      int slices = t.getInt("bucket-slices");
      if (slices < 0) {
        throw new UsageException(
            "train.bucket-slices must be >= 0 (0 = three passes per epoch), got " + slices);
      }
      String onDivergence = t.getString("on-divergence").trim().toLowerCase(Locale.ROOT);
      if (!onDivergence.equals("retry") && !onDivergence.equals("fail")) {
        throw new UsageException(
            "train.on-divergence must be retry or fail, got '" + onDivergence + "'");
      }
      int retries = t.getInt("divergence-retries");
      if (retries < 0) {
        throw new UsageException("train.divergence-retries must be >= 0, got " + retries);
      }
      return new TrainOptions(
          mode,
          core,
          fraction,
          maxLoss,
          t.getBoolean("resume"),
          memory,
          memoryFraction,
          every,
          maxTriples,
          keep,
          patience,
          entityPartitions,
          pool,
          slices,
          onDivergence,
          retries);
    } catch (ConfigException e) {
      throw new UsageException("invalid train configuration: " + e.getMessage(), e);
    }
  }

  public boolean nodePiece() {
    return mode.equals(NODEPIECE);
  }

  /** The same settings with both learning rates (train.lr, train.dense-lr) times {@code scale}. */
  public TrainOptions withLearningRateScale(double scale) {
    if (scale == 1.0) {
      return this;
    }
    TrainConfig scaled =
        core.toBuilder()
            .lr((float) (core.lr() * scale))
            .denseLr((float) (core.denseLr() * scale))
            .build();
    return new TrainOptions(
        mode,
        scaled,
        roundFraction,
        maxLoss,
        resume,
        executorMemoryBytes,
        memoryFraction,
        validationEveryRounds,
        validationMaxTriples,
        keep,
        patience,
        entityPartitions,
        negativePoolRows,
        bucketSlices,
        onDivergence,
        divergenceRetries);
  }

  /**
   * Slices per bucket and round for a schedule of {@code partitions} entity partitions: the
   * setting, or (0) three per epoch of the round, so that a pass through the sub-rounds trains at
   * most a third of an epoch of each bucket before the pairs come round again. What counts is the
   * passes per epoch, not the length of a sub-round (FB15k-237's example, 10 epochs: one pass per
   * epoch gave test MRR 0.2994 at P = 2 and 0.2820 at P = 8, with sub-rounds of a third and of a
   * fifteenth of an epoch; three passes 0.3194 at P = 2 and, at P = 8, 0.3132 as rounds of a third
   * and 0.3047 as slices; P = 1 0.3100; docs/benchmarks.md). One task per sub-round (B = 2) shares
   * nothing: one slice.
   */
  public int bucketSlices(int partitions) {
    if (bucketSlices > 0) {
      return bucketSlices;
    }
    if (partitions <= 2) {
      return 1;
    }
    // a little slack, so that a typed 0.3334 counts as a third
    return (int) Math.max(1, Math.ceil(roundFraction * PASSES_PER_EPOCH - 1e-3));
  }

  public boolean retriesDivergence() {
    return onDivergence.equals("retry") && divergenceRetries > 0;
  }

  /** Rounds of the whole run: epochs / round-fraction, rounded up. */
  public int rounds() {
    return (int) Math.max(1, Math.ceil(core.epochs() / roundFraction - 1e-9));
  }

  /**
   * The trainer settings of one shard in one round: seed from (seed, round, shard) so a retried
   * task repeats its result exactly, and just enough steps for round-fraction of an epoch.
   */
  public TrainConfig roundConfig(int round, int shard, int shardTriples) {
    int stepsPerEpoch = Math.max(1, (shardTriples + core.batchSize() - 1) / core.batchSize());
    int epochs = (int) Math.max(1, Math.ceil(roundFraction - 1e-9));
    long steps = Math.max(1, Math.round(roundFraction * stepsPerEpoch));
    return core.toBuilder()
        .seed(Seeds.of(core.seed(), round, shard))
        .epochs(epochs)
        .maxSteps(steps)
        .build();
  }

  public boolean keepsBest() {
    return keep.equals(KEEP_BEST);
  }

  /**
   * The setting that uses the rounds' validation MRRs, as the messages name it
   * ("train.validation.keep = best" or "train.validation.patience = N"); null when neither is set.
   */
  public String settingNeedingValidation() {
    return settingNeedingValidation(keep, patience);
  }

  private static String settingNeedingValidation(String keep, int patience) {
    if (keep.equals(KEEP_BEST)) {
      return "train.validation.keep = best";
    }
    return patience > 0 ? "train.validation.patience = " + patience : null;
  }

  /** Whether round {@code round} of {@code rounds} is followed by a validation ranking. */
  public boolean validates(int round, int rounds) {
    return validationEveryRounds > 0 && (round % validationEveryRounds == 0 || round == rounds);
  }

  /**
   * The settings a resumed run must share with the checkpoint it continues (validation is not one,
   * nor the number of epochs: no round's training depends on the total, so a run resumed with more
   * epochs trains as one started with them).
   */
  public Map<String, Object> identity() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mode", mode);
    m.put("model", core.model());
    m.put("dim", core.dim());
    m.put("seed", core.seed());
    m.put("round_fraction", roundFraction);
    if (!nodePiece()) { // shallow mode: the stratified schedule
      m.put("schedule", STRATIFIED);
      m.put("entity_partitions", entityPartitions);
      m.put("negative_pool", negativePoolRows);
      m.put("bucket_slices", bucketSlices);
    }
    m.put("train_config", withoutEpochs(core.toString()));
    return m;
  }

  /**
   * An identity recorded in a checkpoint as {@link #identity()} makes it today: checkpoints written
   * before the epochs were left out still carry them in {@code train_config}.
   */
  static Map<String, Object> recordedIdentity(Map<String, Object> recorded) {
    if (recorded == null || !(recorded.get("train_config") instanceof String text)) {
      return recorded;
    }
    Map<String, Object> m = new LinkedHashMap<>(recorded);
    m.put("train_config", withoutEpochs(text));
    return m;
  }

  /** A TrainConfig's text without its total of epochs. */
  private static String withoutEpochs(String trainConfig) {
    return trainConfig.replaceAll("(?<=[\\[ ])epochs=\\d+, ", "");
  }
}
