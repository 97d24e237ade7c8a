package org.sparkkge.core.train;

import static org.sparkkge.core.tensor.NativeScalars.of;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TrainStats;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.loss.Regularizers;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * Trains one shard of triples from given starting parameters on one DJL device.
 *
 * <p>Each step: sample negatives on the host, gather the unique entity and relation rows the step
 * touches into small gradient leaves, score positives and negatives (shared negatives: one batched
 * matrix product per direction), back-propagate, and apply row-wise Adagrad to exactly those rows.
 * Native memory of a step lives in an {@link NDScope} closed at the end of the step. Gradients are
 * recorded per thread ({@link ThreadAutograd}, not DJL's one-per-JVM GradientCollector), so
 * concurrent calls (two Spark tasks in one executor) train in parallel and each gives the result it
 * would give alone. Same seed, same result.
 */
public final class ShardTrainer {
  private ShardTrainer() {}

  /** Shallow (lookup-table) training. The input parameters are not modified. */
  public static TrainResult train(
      TripleArrays shard, ModelParameters start, TrainConfig config, Device device) {
    return train(shard, start, config, device, TrainHooks.NONE);
  }

  /** Shallow training, instrumented by {@code hooks}. */
  public static TrainResult train(
      TripleArrays shard,
      ModelParameters start,
      TrainConfig config,
      Device device,
      TrainHooks hooks) {
    if (start.encoded()) {
      throw new IllegalArgumentException(
          "parameters hold a NodePiece encoder: train them with NodePieceTraining");
    }
    return run(
        shard,
        null,
        start,
        config,
        device,
        manager -> new LookupEntities(manager, start, config.lr()),
        false,
        hooks);
  }

  /**
   * Shallow training of the entity rows marked {@code trainable} only: every other entity row (they
   * still score as answers and negatives) and every relation keep their values exactly. Used to fit
   * entities placed after training (the k-core's periphery) against a frozen trained model.
   *
   * @param tripleWeights each triple's weight in the loss (null = 1 each): a sample of triples can
   *     stand for the whole set they were drawn from
   */
  public static TrainResult fitEntities(
      TripleArrays shard,
      float[] tripleWeights,
      ModelParameters start,
      boolean[] trainable,
      TrainConfig config,
      Device device) {
    if (start.encoded()) {
      throw new IllegalArgumentException(
          "parameters hold a NodePiece encoder: only shallow rows can be fitted");
    }
    if (tripleWeights != null && tripleWeights.length != shard.size()) {
      throw new IllegalArgumentException(
          tripleWeights.length + " triple weights for " + shard.size() + " triples");
    }
    return run(
        shard,
        tripleWeights,
        start,
        config,
        device,
        manager -> new LookupEntities(manager, start, config.lr(), trainable),
        true,
        TrainHooks.NONE);
  }

  /**
   * Training whose entity rows come from {@code entities} (a {@link EntitySource} per device
   * manager), relations trained with them: how an entity representation other than the lookup table
   * trains (NodePiece mode: NodePieceTraining, in the nodepiece package).
   */
  public static TrainResult train(
      TripleArrays shard,
      ModelParameters start,
      TrainConfig config,
      Device device,
      Function<NDManager, EntitySource> entities,
      TrainHooks hooks) {
    return run(shard, null, start, config, device, entities, false, hooks);
  }

  private static TrainResult run(
      TripleArrays shard,
      float[] tripleWeights,
      ModelParameters start,
      TrainConfig config,
      Device device,
      Function<NDManager, EntitySource> sourceFactory,
      boolean frozenRelations,
      TrainHooks hooks) {
    long began = System.nanoTime();
    if (!config.model().equals(start.model()) || config.dim() != start.dim()) {
      throw new IllegalArgumentException(
          "config says model "
              + config.model()
              + " dim "
              + config.dim()
              + " but parameters are "
              + start.model()
              + " dim "
              + start.dim());
    }
    shard.checkIds(start.numEntities(), start.numRelations());
    if (config.threads() > 0) {
      Engine.getEngine("PyTorch"); // loads the native library before the JNI call
      JniUtils.setNumThreads(config.threads());
    }
    ScoringModel model = ScoringModels.byName(config.model());
    int numEntities = start.numEntities();
    int n = shard.size();
    Random random = new Random(config.seed());
    int[] entityLocal = new int[numEntities];
    Arrays.fill(entityLocal, -1);
    int[] relationLocal = new int[start.numRelations()];
    Arrays.fill(relationLocal, -1);
    int[] touchCounts = new int[numEntities];
    double[] epochLoss = new double[config.epochs()];
    double firstLoss = Double.NaN;
    double lastLoss = Double.NaN;
    long steps = 0;
    long triples = 0;
    long stepNanos = 0;
    long[] phaseNanos = new long[4];
    long stepCpuNanos = 0;
    ThreadMXBean threadTimes = ManagementFactory.getThreadMXBean();
    ModelParameters result;
    try (NDManager manager = NDManager.newBaseManager(device)) {
      EntitySource entities = sourceFactory.apply(manager);
      RowTable relations =
          new RowTable(
              manager,
              start.relations(),
              start.relationAdagrad(),
              start.numRelations(),
              start.relationDim());
      epochs:
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        int[] order = permutation(n, random);
        double sum = 0;
        int count = 0;
        for (int from = 0; from < n; from += config.batchSize()) {
          if (config.maxSteps() > 0 && steps >= config.maxSteps()) {
            epochLoss[epoch] = count == 0 ? Double.NaN : sum / count;
            break epochs;
          }
          long stepStart = System.nanoTime();
          long cpuStart = threadTimes.getCurrentThreadCpuTime();
          int size = Math.min(config.batchSize(), n - from);
          StepBatch batch =
              StepBatch.prepare(
                  shard,
                  tripleWeights,
                  order,
                  from,
                  size,
                  config,
                  numEntities,
                  random,
                  entityLocal,
                  relationLocal);
          phaseNanos[0] += System.nanoTime() - stepStart;
          float loss =
              step(
                  manager,
                  model,
                  entities,
                  relations,
                  frozenRelations,
                  batch,
                  config,
                  hooks,
                  start.dim(),
                  start.relationDim(),
                  steps,
                  phaseNanos);
          if (!Float.isFinite(loss)) {
            throw new TrainingDivergedException(
                "training diverged: loss "
                    + loss
                    + " at step "
                    + steps
                    + " (epoch "
                    + epoch
                    + "); lower train.lr or train.init-scale");
          }
          stepNanos += System.nanoTime() - stepStart;
          stepCpuNanos += threadTimes.getCurrentThreadCpuTime() - cpuStart;
          hooks.afterStep(manager);
          for (int id : batch.uniqueEntities) touchCounts[id]++;
          if (steps == 0) firstLoss = loss;
          lastLoss = loss;
          sum += loss;
          count++;
          steps++;
          triples += size;
        }
        epochLoss[epoch] = count == 0 ? Double.NaN : sum / count;
      }
      result =
          new ModelParameters(
              start.model(),
              numEntities,
              start.numRelations(),
              start.dim(),
              start.relationDim(),
              entities.entityValues(),
              relations.values(),
              entities.entityAccumulators(),
              relations.accumulators(),
              entities.encoderWeights());
    }
    int touched = 0;
    for (int c : touchCounts) if (c > 0) touched++;
    int[] ids = new int[touched];
    int[] counts = new int[touched];
    for (int id = 0, at = 0; id < numEntities; id++) {
      if (touchCounts[id] > 0) {
        ids[at] = id;
        counts[at++] = touchCounts[id];
      }
    }
    TrainStats stats =
        new TrainStats(
            triples,
            steps,
            epochLoss,
            firstLoss,
            lastLoss,
            ids,
            counts,
            System.nanoTime() - began,
            stepNanos,
            phaseNanos,
            stepCpuNanos);
    return new TrainResult(result, stats);
  }

  /** One optimizer step. Returns the loss. */
  private static float step(
      NDManager manager,
      ScoringModel model,
      EntitySource entities,
      RowTable relations,
      boolean frozenRelations,
      StepBatch b,
      TrainConfig config,
      TrainHooks hooks,
      int dim,
      int relationDim,
      long stepIndex,
      long[] phaseNanos) {
    long began = System.nanoTime();
    // libtorch's grad mode is per thread and starts enabled in threads DJL did not initialise (e.g.
    // a
    // Spark task thread): with it on, the optimizer's in-place row updates would be recorded in a
    // graph.
    JniUtils.setGradMode(false);
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      int k = b.chunks;
      int c = b.chunkSize;
      NDArray entityIds = manager.create(StepBatch.asLong(b.uniqueEntities));
      NDArray relationIds = manager.create(StepBatch.asLong(b.uniqueRelations));
      entities.prepareLeaves(manager, b.uniqueEntities, entityIds);
      NDArray relationRows = relations.gatherLeaf(relationIds);
      NDArray weights = manager.create(b.weights, new Shape(k, c));
      float lossValue;
      try (ThreadAutograd autograd = new ThreadAutograd()) {
        hooks.insideAutograd();
        NDArray entityRows = entities.rows();
        NDArray h = rows(manager, entityRows, b.headLocal).reshape(k, c, dim);
        NDArray t = rows(manager, entityRows, b.tailLocal).reshape(k, c, dim);
        NDArray r = rows(manager, relationRows, b.relationLocal).reshape(k, c, relationDim);
        NDArray loss;
        if (b.allEntities) {
          // local index = entity id: the gathered rows are the whole table, every one a candidate
          NDArray all = entityRows.expandDims(0);
          NDArray[] tails = model.scoreTrueAndTails(h, r, t, all);
          NDArray[] heads = model.scoreTrueAndHeads(h, r, t, all);
          loss =
              Losses.oneVsAll(tails[0], tails[1], weights)
                  .add(Losses.oneVsAll(heads[0], heads[1], weights));
        } else {
          loss =
              sampledLoss(
                  manager,
                  model,
                  entityRows,
                  h,
                  r,
                  t,
                  weights,
                  b,
                  config,
                  dim,
                  hooks.concatenateScores());
        }
        if (config.regWeight() > 0 && !Regularizers.NONE.equals(config.regularizer())) {
          loss =
              loss.add(
                  regularization(config.regularizer(), h, r, t, weights)
                      .mul(of(h, config.regWeight())));
        }
        lossValue = loss.getFloat();
        long forwardDone = System.nanoTime();
        phaseNanos[1] += forwardDone - began;
        autograd.backward(loss);
        phaseNanos[2] += System.nanoTime() - forwardDone;
      }
      long updateStart = System.nanoTime();
      entities.update(entityIds, stepIndex + 1);
      if (!frozenRelations) relations.applyAdagrad(relationIds, config.lr());
      phaseNanos[3] += System.nanoTime() - updateStart;
      return lossValue;
    }
  }

  /** Loss over sampled shared negatives (uniform and batch), both directions. */
  private static NDArray sampledLoss(
      NDManager manager,
      ScoringModel model,
      NDArray entityRows,
      NDArray h,
      NDArray r,
      NDArray t,
      NDArray weights,
      StepBatch b,
      TrainConfig config,
      int dim,
      boolean concatenateScores) {
    int k = b.chunks;
    // candidate blocks per direction, in score order (uniform negatives, then batch negatives)
    List<NDArray> tailBlocks = new ArrayList<>(2);
    List<NDArray> headBlocks = new ArrayList<>(2);
    if (b.uniformNegatives > 0 && b.batchNegatives > 0 && b.chunkSize > dim && !concatenateScores) {
      // Large chunks: copying the candidate rows (k x M x dim) is cheaper than concatenating the
      // scores (k x c x M), so each direction scores one gathered candidate block.
      int m = b.uniformNegatives + b.batchNegatives;
      tailBlocks.add(rows(manager, entityRows, b.tailCandidates).reshape(k, m, dim));
      headBlocks.add(rows(manager, entityRows, b.headCandidates).reshape(k, m, dim));
    } else {
      // Small chunks: uniform and batch negatives are scored as two blocks, their scores
      // concatenated.
      if (b.uniformNegatives > 0) {
        NDArray shared =
            rows(manager, entityRows, b.negativeLocal).reshape(k, b.uniformNegatives, dim);
        tailBlocks.add(shared);
        headBlocks.add(shared);
      }
      if (b.batchNegatives > 0) {
        tailBlocks.add(
            rows(manager, entityRows, b.batchTailLocal).reshape(k, b.batchNegatives, dim));
        headBlocks.add(
            rows(manager, entityRows, b.batchHeadLocal).reshape(k, b.batchNegatives, dim));
      }
    }
    // {true answers' scores (k, c), then each block's scores (k, c, N_i)}; one query per direction
    NDArray[] tail = model.scoreTrueAndTails(h, r, t, tailBlocks.toArray(new NDArray[0]));
    NDArray[] head = model.scoreTrueAndHeads(h, r, t, headBlocks.toArray(new NDArray[0]));
    NDArray tailScores = mask(manager, candidateScores(tail), b.tailMasked);
    NDArray headScores = mask(manager, candidateScores(head), b.headMasked);
    return Losses.loss(config, tail[0], tailScores, weights)
        .add(Losses.loss(config, head[0], headScores, weights));
  }

  /**
   * The candidate blocks' scores of {@code scored} (after the true answer's) as one (k, c, M)
   * tensor.
   */
  private static NDArray candidateScores(NDArray[] scored) {
    if (scored.length == 2) return scored[1];
    return NDArrays.concat(new NDList(Arrays.copyOfRange(scored, 1, scored.length)), 2);
  }

  /**
   * Sets the scores at the given flat indices to {@link StepBatch#MASKED} (out of place, so
   * autograd sees it and the masked scores get no gradient); a sparse write, not a dense mask added
   * to every score.
   */
  private static NDArray mask(NDManager manager, NDArray scores, long[] flatIndices) {
    if (flatIndices.length == 0) return scores;
    return scores.put(
        manager.create(flatIndices), manager.full(new Shape(flatIndices.length), StepBatch.MASKED));
  }

  private static NDArray rows(NDManager manager, NDArray table, int[] localIds) {
    return gatherRows(table, manager.create(StepBatch.asLong(localIds)));
  }

  /**
   * Rows of {@code table} at {@code indices} through libtorch's embedding op: its backward adds
   * gradient rows with a row-wise index_add, much cheaper on CPU than the element-wise accumulate
   * of advanced indexing (measured: see docs/benchmarks.md).
   */
  public static NDArray gatherRows(NDArray table, NDArray indices) {
    return indices
        .getNDArrayInternal()
        .embedding(indices, table, SparseFormat.DENSE)
        .singletonOrThrow();
  }

  /** N3 (sum |x|^3) or L2 (sum x^2) of the positive triples' rows, weighted mean over positives. */
  private static NDArray regularization(
      String kind, NDArray h, NDArray r, NDArray t, NDArray weights) {
    UnaryOperator<NDArray> penalty = Regularizers.penalty(kind);
    NDArray sum = null;
    for (NDArray x : new NDArray[] {h, r, t}) {
      NDArray term = penalty.apply(x);
      NDArray s = term.sum(new int[] {-1});
      sum = sum == null ? s : sum.add(s);
    }
    return sum.mul(weights).sum().div(Losses.atLeastOne(weights.sum()));
  }

  /**
   * 0..n-1 in the order of a Fisher-Yates shuffle by {@code random} (the trainer's epoch order).
   */
  public static int[] permutation(int n, Random random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }
}
