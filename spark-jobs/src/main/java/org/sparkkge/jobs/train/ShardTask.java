package org.sparkkge.jobs.train;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.TaskContext;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TrainStats;
import org.sparkkge.core.nodepiece.NodePieceTokens;
import org.sparkkge.core.train.ShardTrainer;

/**
 * The body of one training task: one shard, one round. Pure function of its inputs (seed from
 * (seed, round, shard), triples in sorted order, rows placed by id), so a retried or recomputed
 * task returns exactly the same output.
 */
public final class ShardTask {
  private ShardTask() {}

  /** Shallow mode: {@code rows} are the entity-table rows of exactly this shard's entities. */
  public static List<ShardOutput> trainShallow(ShardData shard, Iterator<scala.Tuple2<Integer, EntityRow>> rows,
      RoundInput in) {
    TrainOptions options = in.options();
    int dim = options.core().dim();
    int n = shard.entityIds().length;
    if (shard.size() == 0) {
      return List.of(emptySummary(shard, in));
    }
    float[] values = new float[n * dim];
    float[] adagrad = new float[n];
    boolean[] present = new boolean[n];
    int filled = 0;
    while (rows.hasNext()) {
      scala.Tuple2<Integer, EntityRow> row = rows.next();
      int local = Arrays.binarySearch(shard.entityIds(), row._1());
      if (local < 0 || present[local]) {
        throw new IllegalStateException("shard " + shard.shard() + " received entity row " + row._1()
            + (local < 0 ? " it does not need" : " twice"));
      }
      if (row._2().values().length != dim) {
        throw new IllegalStateException("entity row " + row._1() + " has " + row._2().values().length
            + " floats, the model has dim " + dim);
      }
      System.arraycopy(row._2().values(), 0, values, local * dim, dim);
      adagrad[local] = row._2().adagrad();
      present[local] = true;
      filled++;
    }
    if (filled != n) {
      throw new IllegalStateException("shard " + shard.shard() + " received " + filled + " of its " + n
          + " entity rows: the entity table lacks ids of the training triples");
    }
    ModelParameters start = new ModelParameters(options.core().model(), n, in.numRelations(), dim,
        in.relationDim(), values, in.relations(), adagrad, in.relationAdagrad(), List.of());
    TrainConfig config = taskConfig(shard, in);
    TrainResult result;
    try {
      result = ShardTrainer.train(shard.localTriples(), start, config, deviceForTraining());
    } catch (IllegalStateException e) {
      if (String.valueOf(e.getMessage()).contains("diverged")) {
        return List.of(divergedSummary(shard, in, e.getMessage()));
      }
      throw e;
    }
    List<ShardOutput> out = new ArrayList<>();
    out.add(summary(shard, in, result));
    TrainStats stats = result.stats();
    float[] trained = result.params().entities();
    float[] trainedAdagrad = result.params().entityAdagrad();
    for (int i = 0; i < stats.touchedEntities().length; i++) {
      int local = stats.touchedEntities()[i];
      out.add(new ShardOutput.TouchedRow(shard.entityIds()[local], shard.shard(),
          Arrays.copyOfRange(trained, local * dim, (local + 1) * dim), trainedAdagrad[local],
          stats.touchCounts()[i]));
    }
    return out;
  }

  /** NodePiece mode: every parameter is shared; the shard's entities are encoded from their tokens. */
  public static List<ShardOutput> trainNodePiece(ShardData shard, NodePieceTokens localTokens, RoundInput in) {
    TrainOptions options = in.options();
    if (shard.size() == 0) {
      return List.of(emptySummary(shard, in));
    }
    ModelParameters start = new ModelParameters(options.core().model(), shard.entityIds().length,
        in.numRelations(), options.core().dim(), in.relationDim(), new float[0], in.relations(), new float[0],
        in.relationAdagrad(), TensorData.toDense(in.encoder()));
    TrainConfig config = taskConfig(shard, in);
    try {
      TrainResult result = ShardTrainer.train(shard.localTriples(), start, config, deviceForTraining(),
          localTokens);
      return List.of(summary(shard, in, result));
    } catch (IllegalStateException e) {
      if (String.valueOf(e.getMessage()).contains("diverged")) {
        return List.of(divergedSummary(shard, in, e.getMessage()));
      }
      throw e;
    }
  }

  private static ShardOutput.Summary summary(ShardData shard, RoundInput in, TrainResult result) {
    TrainStats s = result.stats();
    double mean = Arrays.stream(s.epochMeanLoss()).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
    String diverged = null;
    if (!Double.isFinite(mean) || !Double.isFinite(s.lastStepLoss()) || mean > in.options().maxLoss()
        || s.lastStepLoss() > in.options().maxLoss()) {
      diverged = String.format(Locale.ROOT, "mean loss %.6g, last step loss %.6g (train.max-loss = %.6g)", mean,
          s.lastStepLoss(), in.options().maxLoss());
    }
    return new ShardOutput.Summary(shard.shard(), s.triplesTrained(), s.steps(), shard.entityIds().length,
        s.touchedEntities().length, mean, s.lastStepLoss(), s.wallNanos(), result.params().relations(),
        result.params().relationAdagrad(), TensorData.of(result.params().encoder()), diverged);
  }

  private static ShardOutput.Summary emptySummary(ShardData shard, RoundInput in) {
    return new ShardOutput.Summary(shard.shard(), 0, 0, 0, 0, Double.NaN, Double.NaN, 0, in.relations(),
        in.relationAdagrad(), in.encoder(), null);
  }

  private static ShardOutput.Summary divergedSummary(ShardData shard, RoundInput in, String why) {
    return new ShardOutput.Summary(shard.shard(), 0, 0, shard.entityIds().length, 0, Double.NaN, Double.NaN, 0,
        in.relations(), in.relationAdagrad(), in.encoder(), why);
  }

  /** This shard's trainer settings for this round, with the task's threads. */
  private static TrainConfig taskConfig(ShardData shard, RoundInput in) {
    return withTaskThreads(in.options().roundConfig(in.round(), shard.shard(), shard.size()));
  }

  /**
   * {@code train.threads = 0} gives libtorch the cores Spark scheduled the task on (spark.task.cpus):
   * the tasks of one executor train at the same time, so libtorch's default, every core of the machine
   * for each task, would oversubscribe them.
   */
  static TrainConfig withTaskThreads(TrainConfig config) {
    if (config.threads() > 0) {
      return config;
    }
    TaskContext task = TaskContext.get();
    return config.toBuilder().threads(task == null ? 1 : Math.max(1, task.cpus())).build();
  }

  /** The task's device: the GPU Spark assigned to it, else the CPU. */
  static Device deviceForTraining() {
    return Devices.forCurrentTask();
  }
}
