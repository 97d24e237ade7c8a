package org.sparkkge.jobs.train;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.TaskContext;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TrainStats;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.nodepiece.NodePieceTokens;
import org.sparkkge.core.nodepiece.NodePieceTraining;
import org.sparkkge.core.train.ShardTrainer;
import org.sparkkge.core.train.TrainingDivergedException;
import org.sparkkge.jobs.DeviceUnavailableException;
import org.sparkkge.jobs.Devices;

/**
 * The body of one training task: one shard, one round. Pure function of its inputs (seed from
 * (seed, round, shard), triples in sorted order, rows placed by id), so a retried or recomputed
 * task returns exactly the same output.
 */
public final class ShardTask {
  private ShardTask() {}

  /**
   * NodePiece mode: every parameter is shared; the shard's entities are encoded from their tokens.
   */
  public static List<ShardOutput> trainNodePiece(
      ShardData shard, NodePieceTokens localTokens, RoundInput in) {
    TrainOptions options = in.options();
    Device device;
    try {
      device = deviceForTraining();
    } catch (DeviceUnavailableException e) {
      return List.of(deviceFailure(shard.shard(), in, e));
    }
    if (shard.size() == 0) {
      return List.of(untrainedSummary(shard.shard(), 0, in, null, device));
    }
    ModelParameters start =
        new ModelParameters(
            options.core().model(),
            shard.entityIds().length,
            in.numRelations(),
            options.core().dim(),
            in.relationDim(),
            new float[0],
            in.relations(),
            new float[0],
            in.relationAdagrad(),
            TensorData.toDense(in.encoder()));
    TrainConfig config = taskConfig(shard, in);
    try {
      TrainResult result =
          NodePieceTraining.train(shard.localTriples(), start, config, device, localTokens);
      return List.of(summary(shard.shard(), shard.entityIds().length, in, result, device));
    } catch (TrainingDivergedException e) {
      return List.of(
          untrainedSummary(shard.shard(), shard.entityIds().length, in, e.getMessage(), device));
    }
  }

  /**
   * Slice {@code index} of {@code count}: the part of each bucket a pass through the sub-rounds
   * trains (train.bucket-slices).
   */
  public record Slice(int index, int count) {
    public Slice {
      if (count < 1 || index < 0 || index >= count) {
        throw new IllegalArgumentException("slice " + index + " of " + count);
      }
    }

    /**
     * Positions of this slice's triples among {@code n}: the same seeded permutation for every
     * slice of a round, cut into {@code count} near-equal parts, so the slices of a round train
     * each triple once; ascending.
     */
    int[] positions(int n, long seed) {
      if (count == 1) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        return all;
      }
      int[] order = ShardTrainer.permutation(n, new Random(seed));
      int from = (int) ((long) n * index / count);
      int to = (int) ((long) n * (index + 1) / count);
      int[] part = Arrays.copyOfRange(order, from, to);
      Arrays.sort(part);
      return part;
    }
  }

  /**
   * Stratified schedule: task {@code task} of sub-round {@code subRound} owns the rows of its two
   * entity partitions ({@code carried}: exactly those two blocks, plus the pool deltas other tasks
   * sent them in the previous sub-round, added first) and trains {@code slice} of {@code triples}
   * (none when its buckets are empty). The rows of {@code pool} from other partitions join its
   * table as extra negative candidates. Returns its summary, both blocks trained (only this task
   * updates them in this sub-round), what it changed in the pool rows (one {@link
   * ShardOutput.PoolDelta} per partition), and a sample of each block for the next sub-round's pool
   * ({@code poolRows} rows per partition).
   */
  public static List<ShardOutput> trainStratified(
      StratifiedSchedule schedule,
      int subRound,
      Slice slice,
      int task,
      Iterator<ShardOutput> carried,
      Iterator<TaskTriples> triples,
      RoundInput in,
      NegativePool pool,
      int poolRows) {
    int shardIndex = subRound * schedule.tasksPerSubRound() + task;
    // first: a task given a GPU it cannot use does no work, and says why
    Device device;
    try {
      device = deviceForTraining();
    } catch (DeviceUnavailableException e) {
      return List.of(deviceFailure(shardIndex, in, e));
    }
    int[] owned = schedule.partitionsOf(subRound, task);
    EntityBlock a = null;
    EntityBlock b = null;
    List<ShardOutput.PoolDelta> deltas = new ArrayList<>();
    while (carried.hasNext()) {
      ShardOutput item = carried.next();
      int partition =
          item instanceof ShardOutput.Block block
              ? block.block().partition()
              : item instanceof ShardOutput.PoolDelta delta ? delta.partition() : -1;
      if (partition != owned[0] && partition != owned[1]) {
        throw new IllegalStateException(
            "task "
                + task
                + " of sub-round "
                + subRound
                + " owns partitions "
                + Arrays.toString(owned)
                + " but received "
                + item.getClass().getSimpleName()
                + " of partition "
                + partition);
      }
      if (item instanceof ShardOutput.PoolDelta delta) {
        deltas.add(delta);
      } else if (partition == owned[0] && a == null) {
        a = ((ShardOutput.Block) item).block();
      } else if (partition == owned[1] && b == null) {
        b = ((ShardOutput.Block) item).block();
      } else {
        throw new IllegalStateException(
            "task "
                + task
                + " of sub-round "
                + subRound
                + " received partition "
                + partition
                + " twice");
      }
    }
    if (a == null || b == null) {
      throw new IllegalStateException(
          "task "
              + task
              + " of sub-round "
              + subRound
              + " lacks the block of partition "
              + (a == null ? owned[0] : owned[1]));
    }
    a = withDeltas(a, deltas);
    b = withDeltas(b, deltas);
    TaskTriples unit = triples.hasNext() ? triples.next() : null;
    if (triples.hasNext()) {
      throw new IllegalStateException(
          "task " + task + " of sub-round " + subRound + " received two triple units");
    }
    if (unit != null && (unit.subRound() != subRound || unit.task() != task)) {
      throw new IllegalStateException(
          "task "
              + task
              + " of sub-round "
              + subRound
              + " received the triples of task "
              + unit.task()
              + " of sub-round "
              + unit.subRound());
    }
    // seeds differ per slice; slice 0 seeds as an unsliced round does
    int seedIndex = shardIndex + slice.index() * schedule.subRounds() * schedule.tasksPerSubRound();
    int dim = in.options().core().dim();
    int rows = a.rows() + b.rows();
    // empty when the buckets are, or when they hold fewer triples than there are slices
    int[] positions =
        unit == null
            ? new int[0]
            : slice.positions(
                unit.size(), Seeds.ofSlices(in.options().core().seed(), in.round(), shardIndex));
    int n = positions.length;
    if (n == 0 || rows == 0) {
      return stratifiedOutputs(
          untrainedSummary(shardIndex, rows, in, null, device),
          a,
          b,
          List.of(),
          in,
          seedIndex,
          poolRows);
    }
    int[] heads = new int[n];
    int[] relations = new int[n];
    int[] tails = new int[n];
    for (int i = 0; i < n; i++) {
      heads[i] = localRow(schedule, a, b, unit.heads()[positions[i]]);
      relations[i] = unit.relations()[positions[i]];
      tails[i] = localRow(schedule, a, b, unit.tails()[positions[i]]);
    }
    int[] foreign = foreignPoolRows(schedule, pool, a.partition(), b.partition());
    int tableRows = rows + foreign.length;
    float[] values =
        new float[EntityBlock.floats(tableRows, dim, "task " + task + " of sub-round " + subRound)];
    float[] adagrad = new float[tableRows];
    a.copyValues(values, 0);
    b.copyValues(values, a.rows() * dim);
    a.copyAdagrad(adagrad, 0);
    b.copyAdagrad(adagrad, a.rows());
    for (int i = 0; i < foreign.length; i++) {
      System.arraycopy(pool.values(), foreign[i] * dim, values, (rows + i) * dim, dim);
      adagrad[rows + i] = pool.adagrad()[foreign[i]];
    }
    ModelParameters start =
        new ModelParameters(
            in.options().core().model(),
            tableRows,
            in.numRelations(),
            dim,
            in.relationDim(),
            values,
            in.relations(),
            adagrad,
            in.relationAdagrad(),
            List.of());
    TrainConfig config = withTaskThreads(in.options().roundConfig(in.round(), seedIndex, n));
    TrainResult result;
    try {
      result = ShardTrainer.train(new TripleArrays(heads, relations, tails), start, config, device);
    } catch (TrainingDivergedException e) {
      return stratifiedOutputs(
          untrainedSummary(shardIndex, rows, in, e.getMessage(), device),
          a,
          b,
          List.of(),
          in,
          seedIndex,
          poolRows);
    }
    float[] trained = result.params().entities();
    float[] trainedAdagrad = result.params().entityAdagrad();
    EntityBlock trainedA =
        new EntityBlock(
            a.partition(),
            dim,
            a.ids(),
            trained,
            0,
            Arrays.copyOfRange(trainedAdagrad, 0, a.rows()));
    EntityBlock trainedB =
        new EntityBlock(
            b.partition(),
            dim,
            b.ids(),
            trained,
            a.rows() * dim,
            Arrays.copyOfRange(trainedAdagrad, a.rows(), rows));
    List<ShardOutput.PoolDelta> sent =
        poolDeltas(
            schedule,
            pool,
            foreign,
            rows,
            values,
            adagrad,
            trained,
            trainedAdagrad,
            result.stats().touchedEntities(),
            shardIndex,
            dim);
    return stratifiedOutputs(
        summary(shardIndex, rows, in, result, device),
        trainedA,
        trainedB,
        sent,
        in,
        seedIndex,
        poolRows);
  }

  /**
   * The block with the deltas of its partition added, in the order of their source task (exact on
   * rerun). The accumulators get every increment. Several tasks that used the same pool row as a
   * negative each stepped as if alone: task k's move is scaled by sqrt((s + g_k) / (s + sum of
   * g_j)) over the tasks that sent a delta for the row (s: the accumulator they started from), the
   * step a sequential pass over those tasks would have given it, as the relations' merge ({@link
   * StratifiedRounds#merge}) does. A row one foreign task moved keeps its whole move; the owner's
   * own steps on the row are exact and are not counted here.
   */
  static EntityBlock withDeltas(EntityBlock block, List<ShardOutput.PoolDelta> deltas) {
    List<ShardOutput.PoolDelta> mine = new ArrayList<>();
    for (ShardOutput.PoolDelta d : deltas) {
      if (d.partition() == block.partition()) mine.add(d);
    }
    if (mine.isEmpty()) {
      return block;
    }
    mine.sort(Comparator.comparingInt(ShardOutput.PoolDelta::shard));
    int dim = block.dim();
    float[] values =
        new float[EntityBlock.floats(block.rows(), dim, "entity partition " + block.partition())];
    float[] adagrad = new float[block.rows()];
    block.copyValues(values, 0);
    block.copyAdagrad(adagrad, 0);
    int[][] rows = new int[mine.size()][];
    float[] increments = new float[block.rows()];
    for (int k = 0; k < mine.size(); k++) {
      ShardOutput.PoolDelta d = mine.get(k);
      rows[k] = new int[d.ids().length];
      for (int i = 0; i < d.ids().length; i++) {
        int row = Arrays.binarySearch(block.ids(), d.ids()[i]);
        if (row < 0) {
          throw new IllegalStateException(
              "pool delta for entity "
                  + d.ids()[i]
                  + ", which partition "
                  + block.partition()
                  + " does not hold");
        }
        rows[k][i] = row;
        // Adagrad accumulators only grow; several tasks' increments add up as in one sequential
        // pass
        adagrad[row] += d.adagrad()[i];
        increments[row] += d.adagrad()[i];
      }
    }
    for (int k = 0; k < mine.size(); k++) {
      ShardOutput.PoolDelta d = mine.get(k);
      float[] moves = d.values();
      float[] start = d.startAdagrad();
      float[] own = d.adagrad();
      int[] target = rows[k];
      for (int i = 0; i < target.length; i++) {
        int row = target[i];
        // float arithmetic, so the JIT vectorises the row (the double form was the task's hottest
        // Java line at P = 8)
        float scale =
            (float)
                StratifiedRounds.sequentialStepScale(start[i] + own[i], start[i] + increments[row]);
        int to = row * dim;
        int from = i * dim;
        for (int j = 0; j < dim; j++) values[to + j] += scale * moves[from + j];
      }
    }
    return new EntityBlock(block.partition(), dim, block.ids(), values, 0, adagrad);
  }

  /**
   * What training changed in the touched pool rows, one delta per partition (sorted by partition).
   */
  private static List<ShardOutput.PoolDelta> poolDeltas(
      StratifiedSchedule schedule,
      NegativePool pool,
      int[] foreign,
      int ownedRows,
      float[] before,
      float[] adagradBefore,
      float[] after,
      float[] adagradAfter,
      int[] touchedLocal,
      int shardIndex,
      int dim) {
    TreeMap<Integer, List<Integer>> byPartition = new TreeMap<>();
    for (int local : touchedLocal) {
      if (local >= ownedRows) {
        int poolRow = foreign[local - ownedRows];
        byPartition
            .computeIfAbsent(schedule.partitionOf(pool.ids()[poolRow]), k -> new ArrayList<>())
            .add(local);
      }
    }
    List<ShardOutput.PoolDelta> out = new ArrayList<>(byPartition.size());
    for (Map.Entry<Integer, List<Integer>> e : byPartition.entrySet()) {
      List<Integer> locals = e.getValue();
      int[] ids = new int[locals.size()];
      float[] values = new float[EntityBlock.floats(locals.size(), dim, "pool delta")];
      float[] adagrad = new float[locals.size()];
      float[] startAdagrad = new float[locals.size()];
      for (int i = 0; i < locals.size(); i++) {
        int local = locals.get(i);
        ids[i] = pool.ids()[foreign[local - ownedRows]];
        int to = i * dim;
        int from = local * dim;
        for (int j = 0; j < dim; j++) {
          values[to + j] = after[from + j] - before[from + j];
        }
        adagrad[i] = adagradAfter[local] - adagradBefore[local];
        startAdagrad[i] = adagradBefore[local];
      }
      out.add(
          new ShardOutput.PoolDelta(e.getKey(), shardIndex, ids, values, adagrad, startAdagrad));
    }
    return out;
  }

  private static List<ShardOutput> stratifiedOutputs(
      ShardOutput.Summary summary,
      EntityBlock a,
      EntityBlock b,
      List<ShardOutput.PoolDelta> deltas,
      RoundInput in,
      int seedIndex,
      int poolRows) {
    List<ShardOutput> out = new ArrayList<>(5 + deltas.size());
    out.add(summary);
    out.add(new ShardOutput.Block(a));
    out.add(new ShardOutput.Block(b));
    out.addAll(deltas);
    if (poolRows > 0) {
      long seed = Seeds.ofPool(in.options().core().seed(), in.round(), seedIndex);
      out.add(new ShardOutput.PoolSample(a.partition(), NegativePool.sample(a, poolRows, seed)));
      out.add(
          new ShardOutput.PoolSample(b.partition(), NegativePool.sample(b, poolRows, seed + 1)));
    }
    return out;
  }

  /**
   * Rows of the pool that belong to neither owned partition (owned rows are in the table already).
   */
  private static int[] foreignPoolRows(
      StratifiedSchedule schedule, NegativePool pool, int pa, int pb) {
    int[] keep = new int[pool.rows()];
    int n = 0;
    for (int i = 0; i < pool.rows(); i++) {
      int p = schedule.partitionOf(pool.ids()[i]);
      if (p != pa && p != pb) keep[n++] = i;
    }
    return Arrays.copyOf(keep, n);
  }

  /** Row of global entity {@code id} in a task's table: block a's rows, then block b's. */
  private static int localRow(StratifiedSchedule schedule, EntityBlock a, EntityBlock b, int id) {
    int partition = schedule.partitionOf(id);
    EntityBlock block = partition == a.partition() ? a : partition == b.partition() ? b : null;
    int at = block == null ? -1 : Arrays.binarySearch(block.ids(), id);
    if (at < 0) {
      throw new IllegalStateException(
          "entity "
              + id
              + " (partition "
              + partition
              + ") of a training triple is not in "
              + "the entity table the task received (partitions "
              + a.partition()
              + ", "
              + b.partition()
              + ")");
    }
    return block == a ? at : a.rows() + at;
  }

  private static ShardOutput.Summary summary(
      int shardIndex, int entities, RoundInput in, TrainResult result, Device device) {
    TrainStats s = result.stats();
    double mean =
        Arrays.stream(s.epochMeanLoss()).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
    String diverged = null;
    if (!Double.isFinite(mean)
        || !Double.isFinite(s.lastStepLoss())
        || mean > in.options().maxLoss()
        || s.lastStepLoss() > in.options().maxLoss()) {
      diverged =
          String.format(
              Locale.ROOT,
              "mean loss %.6g, last step loss %.6g (train.max-loss = %.6g)",
              mean,
              s.lastStepLoss(),
              in.options().maxLoss());
    }
    return new ShardOutput.Summary(
        shardIndex,
        s.triplesTrained(),
        s.steps(),
        entities,
        s.touchedEntities().length,
        mean,
        s.lastStepLoss(),
        s.wallNanos(),
        result.params().relations(),
        result.params().relationAdagrad(),
        TensorData.of(result.params().encoder()),
        diverged,
        device.toString(),
        null);
  }

  /**
   * The summary of a task that trained nothing (no triples, or {@code diverged} says why it
   * stopped): the shared parameters it received, unchanged.
   */
  private static ShardOutput.Summary untrainedSummary(
      int shard, int entities, RoundInput in, String diverged, Device device) {
    return new ShardOutput.Summary(
        shard,
        0,
        0,
        entities,
        0,
        Double.NaN,
        Double.NaN,
        0,
        in.relations(),
        in.relationAdagrad(),
        in.encoder(),
        diverged,
        device.toString(),
        null);
  }

  /**
   * Stops the run, on the driver, with the first task's device failure (one line), if any task of
   * the sub-round or round had one.
   */
  static void requireUsableDevices(List<ShardOutput.Summary> summaries) {
    Devices.requireUsable("train", summaries.stream().map(ShardOutput.Summary::deviceFailure));
  }

  /**
   * The summary of a task that could not use the device Spark gave it: no work done, the reason
   * returned rather than thrown, as it would fail every retry the same way (docs/gpu.md).
   */
  static ShardOutput.Summary deviceFailure(int shard, RoundInput in, DeviceUnavailableException e) {
    return new ShardOutput.Summary(
        shard,
        0,
        0,
        0,
        0,
        Double.NaN,
        Double.NaN,
        0,
        in.relations(),
        in.relationAdagrad(),
        in.encoder(),
        null,
        "none",
        e.getMessage());
  }

  /** This shard's trainer settings for this round, with the task's threads. */
  private static TrainConfig taskConfig(ShardData shard, RoundInput in) {
    return withTaskThreads(in.options().roundConfig(in.round(), shard.shard(), shard.size()));
  }

  /**
   * {@code train.threads = 0} gives libtorch the cores Spark scheduled the task on
   * (spark.task.cpus): the tasks of one executor train at the same time, so libtorch's default,
   * every core of the machine for each task, would oversubscribe them.
   */
  public static TrainConfig withTaskThreads(TrainConfig config) {
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
