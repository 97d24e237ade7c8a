package org.sparkkge.jobs.export;

import ai.djl.Device;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.train.ShardTrainer;
import org.sparkkge.jobs.DeviceUnavailableException;
import org.sparkkge.jobs.Devices;
import org.sparkkge.jobs.GpuScheduling;
import org.sparkkge.jobs.train.MemoryEstimate;
import org.sparkkge.jobs.train.Seeds;
import org.sparkkge.jobs.train.ShardTask;
import org.sparkkge.jobs.train.SharedParams;
import org.sparkkge.jobs.train.TrainOptions;
import scala.Tuple2;

/**
 * The periphery fit ({@code reduce.fit-epochs}): after export has placed the entities outside the
 * trained set, a short training of those rows only, on the training triples that touch them, with
 * the trained rows and the relations frozen (embedding-core's {@link ShardTrainer#fitEntities}).
 *
 * <p>Placed entities are hashed into tasks. A task gets the training triples of its own placed
 * entities, its share of a weighted sample of trained triples (context: their queries rank the
 * placed rows among their negatives), the rows of every entity those triples touch (frozen unless
 * the task owns the entity) and a seeded sample of trained rows ({@code train.negative-pool}) as
 * further negatives: its memory is the rows of its triples plus the pool, never the table. A triple
 * between placed entities of two tasks is fitted in both, each task seeing the other's placed row
 * as it was before the fit. Only the pool and one summary per task reach the driver.
 */
final class PeripheryFit {
  /**
   * A training triple given to a task with its weight in the loss: 1 for one that touches a placed
   * entity the task owns, 1 / sampling fraction for a trained triple sampled as context.
   */
  record Edge(int task, int head, int relation, int tail, float weight) implements Serializable {}

  /** A row a task needs: {@code owned} rows are fitted there, the others stay frozen. */
  record TaskRow(int id, float[] values, boolean owned) implements Serializable {}

  /**
   * One task's fitted rows (ids and row-major values; empty in the summary the driver gets) and
   * what it did.
   */
  record TaskResult(
      int task,
      int[] ids,
      float[] rows,
      int rowsFitted,
      long triples,
      int tableRows,
      double firstEpochLoss,
      double lastEpochLoss,
      double seconds,
      String deviceFailure)
      implements Serializable {
    TaskResult summary() {
      return new TaskResult(
          task,
          new int[0],
          new float[0],
          rowsFitted,
          triples,
          tableRows,
          firstEpochLoss,
          lastEpochLoss,
          seconds,
          deviceFailure);
    }

    /** A task that could not use the device Spark gave it: no work done, the reason returned. */
    static TaskResult deviceFailure(int task, DeviceUnavailableException e) {
      return new TaskResult(
          task, new int[0], new float[0], 0, 0, 0, Double.NaN, Double.NaN, 0, e.getMessage());
    }
  }

  /**
   * The fitted rows (id, row) of the placed entities, with the stats; closing it releases the
   * cached data and broadcasts, which the rows' lineage needs until they are written.
   */
  record Result(
      JavaPairRDD<Integer, float[]> fitted,
      Map<String, Object> stats,
      List<JavaRDD<?>> cached,
      List<Broadcast<?>> broadcasts)
      implements AutoCloseable {
    @Override
    public void close() {
      cached.forEach(rdd -> rdd.unpersist(false));
      broadcasts.forEach(b -> b.destroy());
    }
  }

  private PeripheryFit() {}

  /** The task of a placed entity (a fixed integer hash, so reruns give the same tasks). */
  static int taskOf(int id, int tasks) {
    return Math.floorMod(id * 0x9E3779B1, tasks);
  }

  /**
   * Fits the {@code placed} rows; {@code known} are the trained rows, {@code edges} the training
   * triples (head, relation, tail). The caller closes the result once the rows are written.
   */
  static Result run(
      JavaSparkContext jsc,
      JavaPairRDD<Integer, float[]> known,
      JavaPairRDD<Integer, float[]> placed,
      JavaRDD<int[]> edges,
      SharedParams shared,
      String model,
      int dim,
      float startAdagrad,
      TrainOptions options,
      int epochs) {
    long began = System.nanoTime();
    int tasks = Math.max(1, jsc.defaultParallelism());
    JavaPairRDD<Integer, Integer> owner =
        placed.mapToPair(e -> new Tuple2<>(e._1(), taskOf(e._1(), tasks)));
    JavaRDD<Edge> touching =
        edges
            .flatMapToPair(e -> List.of(new Tuple2<>(e[0], e), new Tuple2<>(e[2], e)).iterator())
            .join(owner)
            .map(x -> new Edge(x._2()._2(), x._2()._1()[0], x._2()._1()[1], x._2()._1()[2], 1f))
            .distinct() // a triple between two placed entities of one task (or a self-loop) is
            // fitted once there
            .persist(StorageLevel.MEMORY_AND_DISK());
    long touchingCount = touching.count();
    // As many trained triples (both ends trained), spread over the tasks and weighted to stand for
    // all of
    // them: their queries rank the placed rows among the negatives, as full training would, which
    // keeps a
    // fitted row from scoring high for every query (unweighted, they crowded the core's answers
    // out).
    JavaPairRDD<Integer, Boolean> trained = known.mapValues(v -> true);
    JavaRDD<int[]> coreEdges =
        edges
            .mapToPair(e -> new Tuple2<>(e[0], e))
            .join(trained)
            .values()
            .map(Tuple2::_1)
            .mapToPair(e -> new Tuple2<>(e[2], e))
            .join(trained)
            .values()
            .map(Tuple2::_1)
            .persist(StorageLevel.MEMORY_AND_DISK());
    long coreCount = coreEdges.count();
    double fraction = coreCount == 0 ? 0 : Math.min(1.0, (double) touchingCount / coreCount);
    float weight = fraction == 0 ? 0f : (float) (1 / fraction);
    JavaRDD<Edge> context =
        coreEdges
            .sample(false, fraction, Seeds.ofPool(options.core().seed(), 0, -2))
            .map(e -> new Edge(taskOf(e[0] * 31 + e[2], tasks), e[0], e[1], e[2], weight));
    JavaRDD<Edge> fitEdges = touching.union(context).persist(StorageLevel.MEMORY_AND_DISK());
    long contextCount = fitEdges.count() - touchingCount;
    coreEdges.unpersist(false);
    List<JavaRDD<?>> cached = new ArrayList<>(List.of(touching, fitEdges));
    List<Broadcast<?>> broadcasts = new ArrayList<>();
    try {
      JavaPairRDD<Integer, Tuple2<float[], Boolean>> table =
          known
              .mapValues(v -> new Tuple2<>(v, false))
              .union(placed.mapValues(v -> new Tuple2<>(v, true)));
      JavaPairRDD<Integer, TaskRow> rows =
          fitEdges
              .flatMapToPair(
                  e ->
                      List.of(new Tuple2<>(e.head(), e.task()), new Tuple2<>(e.tail(), e.task()))
                          .iterator())
              .distinct()
              .join(table)
              .mapToPair(
                  x ->
                      new Tuple2<>(
                          x._2()._1(),
                          new TaskRow(
                              x._1(),
                              x._2()._2()._1(),
                              x._2()._2()._2() && taskOf(x._1(), tasks) == x._2()._1())))
              .persist(StorageLevel.MEMORY_AND_DISK());
      cached.add(JavaRDD.fromRDD(rows.rdd(), rows.classTag()));
      long seed = options.core().seed();
      List<Tuple2<Integer, float[]>> poolRows =
          options.negativePoolRows() == 0
              ? List.of()
              : known.takeSample(false, options.negativePoolRows(), Seeds.ofPool(seed, 0, -1));
      // refuse before training when the largest task cannot hold its rows (one count per task
      // reaches the driver)
      long largestTaskRows =
          rows.countByKey().values().stream().mapToLong(Long::longValue).max().orElse(0)
              + poolRows.size();
      MemoryEstimate estimate =
          memoryEstimate(
              jsc,
              options,
              dim,
              largestTaskRows,
              (long) shared.numRelations() * shared.relationDim(),
              tasks);
      estimate.check(
          "export: the periphery fit tasks (reduce.fit-epochs)",
          List.of(
              "more tasks (spark.default.parallelism, now "
                  + tasks
                  + ") so each fits fewer placed entities",
              "a smaller train.negative-pool (now " + options.negativePoolRows() + ")",
              "reduce.fit-epochs = 0 (placement only)"));
      Broadcast<List<Tuple2<Integer, float[]>>> pool = jsc.broadcast(new ArrayList<>(poolRows));
      broadcasts.add(pool);
      Broadcast<SharedParams> relations = jsc.broadcast(shared);
      broadcasts.add(relations);
      JavaRDD<TaskResult> fits =
          fitEdges
              .mapToPair(e -> new Tuple2<>(e.task(), e))
              .cogroup(rows, new HashPartitioner(tasks))
              .map(
                  g ->
                      fitTask(
                          g._1(),
                          g._2()._1(),
                          g._2()._2(),
                          pool.value(),
                          relations.value(),
                          model,
                          dim,
                          startAdagrad,
                          options,
                          epochs));
      JavaRDD<TaskResult> results =
          GpuScheduling.onDevice(fits).persist(StorageLevel.MEMORY_AND_DISK());
      cached.add(results);
      List<TaskResult> summaries = results.map(TaskResult::summary).collect();
      Devices.requireUsable(
          "export: the periphery fit", summaries.stream().map(TaskResult::deviceFailure));
      JavaPairRDD<Integer, float[]> fitted =
          results.flatMapToPair(
              r -> {
                List<Tuple2<Integer, float[]>> out = new ArrayList<>(r.ids().length);
                for (int i = 0; i < r.ids().length; i++) {
                  float[] row = new float[dim];
                  System.arraycopy(r.rows(), i * dim, row, 0, dim);
                  out.add(new Tuple2<>(r.ids()[i], row));
                }
                return out.iterator();
              });
      return new Result(
          fitted,
          stats(
              epochs,
              poolRows.size(),
              touchingCount,
              contextCount,
              weight,
              summaries,
              estimate,
              (System.nanoTime() - began) / 1e9),
          cached,
          broadcasts);
    } catch (RuntimeException e) {
      new Result(null, null, cached, broadcasts).close();
      throw e;
    }
  }

  private static TaskResult fitTask(
      int task,
      Iterable<Edge> edges,
      Iterable<TaskRow> needed,
      List<Tuple2<Integer, float[]>> pool,
      SharedParams shared,
      String model,
      int dim,
      float startAdagrad,
      TrainOptions options,
      int epochs) {
    long began = System.nanoTime();
    // first: a task given a GPU it cannot use does no work, and says why (a retry would fail alike)
    Device device;
    try {
      device = Devices.forCurrentTask();
    } catch (DeviceUnavailableException e) {
      return TaskResult.deviceFailure(task, e);
    }
    Map<Integer, Integer> local = new HashMap<>();
    List<float[]> values = new ArrayList<>();
    List<Boolean> owned = new ArrayList<>();
    // shuffles deliver rows and triples in no fixed order: sort them so a rerun fits the same way
    List<TaskRow> sortedRows = new ArrayList<>();
    needed.forEach(sortedRows::add);
    sortedRows.sort(Comparator.comparingInt(TaskRow::id));
    List<Edge> sortedEdges = new ArrayList<>();
    edges.forEach(sortedEdges::add);
    sortedEdges.sort(
        Comparator.comparingInt(Edge::head)
            .thenComparingInt(Edge::relation)
            .thenComparingInt(Edge::tail)
            .thenComparingDouble(Edge::weight));
    for (TaskRow row : sortedRows) {
      local.put(row.id(), values.size());
      values.add(row.values());
      owned.add(row.owned());
    }
    for (Tuple2<Integer, float[]> row : pool) {
      if (local.putIfAbsent(row._1(), values.size()) == null) {
        values.add(row._2());
        owned.add(false);
      }
    }
    List<int[]> triples = new ArrayList<>();
    List<Float> weights = new ArrayList<>();
    for (Edge e : sortedEdges) {
      triples.add(new int[] {local.get(e.head()), e.relation(), local.get(e.tail())});
      weights.add(e.weight());
    }
    int n = values.size();
    if (!owned.contains(true)) { // context triples only: nothing of this task's to fit
      return new TaskResult(
          task,
          new int[0],
          new float[0],
          0,
          0,
          n,
          Double.NaN,
          Double.NaN,
          (System.nanoTime() - began) / 1e9,
          null);
    }
    float[] table = new float[Math.multiplyExact(n, dim)];
    boolean[] trainable = new boolean[n];
    int[] ids = new int[n];
    int fitted = 0;
    for (Map.Entry<Integer, Integer> e : local.entrySet()) {
      int at = e.getValue();
      System.arraycopy(values.get(at), 0, table, at * dim, dim);
      trainable[at] = owned.get(at);
      ids[at] = e.getKey();
      if (trainable[at]) {
        fitted++;
      }
    }
    int[] heads = new int[triples.size()];
    int[] rels = new int[triples.size()];
    int[] tails = new int[triples.size()];
    float[] tripleWeights = new float[triples.size()];
    for (int i = 0; i < heads.length; i++) {
      tripleWeights[i] = weights.get(i);
      heads[i] = triples.get(i)[0];
      rels[i] = triples.get(i)[1];
      tails[i] = triples.get(i)[2];
    }
    float[] adagrad = new float[n];
    Arrays.fill(adagrad, startAdagrad);
    ModelParameters start =
        new ModelParameters(
            model,
            n,
            shared.numRelations(),
            dim,
            shared.relationDim(),
            table,
            shared.relations(),
            adagrad,
            shared.relationAdagrad(),
            List.of());
    TrainConfig config =
        ShardTask.withTaskThreads(
            options.core().toBuilder()
                .model(model)
                .dim(dim)
                .epochs(epochs)
                .maxSteps(0)
                .seed(Seeds.of(options.core().seed(), 0, task))
                .build());
    TrainResult result =
        ShardTrainer.fitEntities(
            new TripleArrays(heads, rels, tails), tripleWeights, start, trainable, config, device);
    int[] fittedIds = new int[fitted];
    float[] fittedRows = new float[Math.multiplyExact(fitted, dim)];
    for (int at = 0, k = 0; at < n; at++) {
      if (trainable[at]) {
        fittedIds[k] = ids[at];
        System.arraycopy(result.params().entities(), at * dim, fittedRows, k * dim, dim);
        k++;
      }
    }
    double[] losses = result.stats().epochMeanLoss();
    return new TaskResult(
        task,
        fittedIds,
        fittedRows,
        fitted,
        heads.length,
        n,
        losses[0],
        losses[losses.length - 1],
        (System.nanoTime() - began) / 1e9,
        null);
  }

  private static MemoryEstimate memoryEstimate(
      JavaSparkContext jsc,
      TrainOptions options,
      int dim,
      long rows,
      long sharedFloats,
      int tasks) {
    SparkConf conf = jsc.getConf();
    long executorBytes = MemoryEstimate.executorMemory(conf, options.executorMemoryBytes());
    TrainConfig step = options.core().toBuilder().dim(dim).build();
    return new MemoryEstimate(
        rows,
        dim,
        sharedFloats,
        MemoryEstimate.stepFloats(step, rows),
        MemoryEstimate.concurrentTasks(conf, jsc.defaultParallelism(), tasks),
        executorBytes,
        options.memoryFraction(),
        MemoryEstimate.overheadMemory(conf, executorBytes));
  }

  private static Map<String, Object> stats(
      int epochs,
      int poolRows,
      long touching,
      long context,
      float weight,
      List<TaskResult> results,
      MemoryEstimate estimate,
      double seconds) {
    long fitted = 0;
    long triples = 0;
    double first = 0;
    double last = 0;
    int largest = 0;
    for (TaskResult r : results) {
      fitted += r.rowsFitted();
      if (r.triples() == 0) {
        continue;
      }
      triples += r.triples();
      first += r.firstEpochLoss() * r.triples();
      last += r.lastEpochLoss() * r.triples();
      largest = Math.max(largest, r.tableRows());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epochs", epochs);
    m.put("tasks", results.size());
    m.put("entities_fitted", fitted);
    m.put("triples_touching", touching);
    m.put("triples_trained_context", context);
    m.put("context_weight", weight);
    m.put("negative_pool_rows", poolRows);
    m.put("largest_task_rows", largest);
    m.put("memory_estimate_bytes_per_task", estimate.perTaskBytes());
    m.put("mean_loss_first_epoch", triples == 0 ? null : first / triples);
    m.put("mean_loss_last_epoch", triples == 0 ? null : last / triples);
    m.put("seconds", seconds);
    return m;
  }
}
