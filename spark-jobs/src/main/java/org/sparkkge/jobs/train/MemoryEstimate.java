package org.sparkkge.jobs.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.jobs.LocalMaster;
import org.sparkkge.jobs.PipelineException;

/**
 * Memory of the training tasks of one executor, counted from what a task holds (docs/scaling.md).
 *
 * <ul>
 *   <li>Heap: the entity rows it receives, the table it builds from them, and the trained copy it
 *       returns: 3 x rows x (dim x 4 + 8) bytes (ids and Adagrad accumulators beside the floats);
 *       plus the shared parameters three times (broadcast, task copy, result).
 *   <li>Off-heap (libtorch): the table and its accumulators, and the staging copy DJL makes when it
 *       moves the table in and out: 2 x rows x (dim + 1) x 4 bytes; plus one step's working memory
 *       ({@code stepFloats}: scores and their gradients, gathered rows) and the shared parameters.
 * </ul>
 *
 * Times the tasks an executor runs at once. The heap is compared with train.memory.fraction of the
 * executor's memory; on a cluster the off-heap part with spark.executor.memoryOverhead (libtorch's
 * memory is outside the JVM heap).
 */
public record MemoryEstimate(
    long rowsPerTask,
    int dim,
    long sharedFloats,
    long stepFloats,
    int concurrentTasks,
    long executorBytes,
    double fraction,
    long overheadBytes) {

  public long heapBytesPerTask() {
    return 3 * rowsPerTask * (dim * 4L + 8) + 3 * sharedFloats * 4;
  }

  public long offHeapBytesPerTask() {
    return 2 * rowsPerTask * (dim + 1L) * 4 + stepFloats * 4 + sharedFloats * 4 * 2;
  }

  public long perTaskBytes() {
    return heapBytesPerTask() + offHeapBytesPerTask();
  }

  public long perExecutorBytes() {
    return perTaskBytes() * concurrentTasks;
  }

  public long budgetBytes() {
    return (long) (executorBytes * fraction);
  }

  /**
   * Whether the heap part fits the budget and, where an overhead is known (cluster), the off-heap
   * part fits it.
   */
  public boolean fits() {
    return heapBytesPerTask() * concurrentTasks <= budgetBytes()
        && (overheadBytes <= 0 || offHeapBytesPerTask() * concurrentTasks <= overheadBytes);
  }

  /** Refuses the training run with the numbers and what to change. */
  public void check(int shards, boolean nodePiece) {
    List<String> options = new ArrayList<>();
    if (!nodePiece) {
      options.add(
          "more entity partitions (train.entity-partitions, or partition.shards, now "
              + shards
              + ") so each task holds fewer rows");
      options.add("train.mode = nodepiece (parameters independent of the number of entities)");
    }
    options.add(String.format(Locale.ROOT, "a lower train.dim (now %d)", dim));
    check("train: the training tasks", options);
  }

  /**
   * Refuses with the numbers when the tasks named by {@code tasks} (e.g. "train: the training
   * tasks") do not fit; {@code options} are the stage's own ways out, before the ones every stage
   * shares.
   */
  public void check(String tasks, List<String> options) {
    if (fits()) {
      return;
    }
    StringBuilder why =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%s do not fit in executor memory: each of the %d task(s) an executor runs at once "
                    + "holds %,d entity rows at dim %d (%s on the heap, %s off-heap in libtorch, step working memory and "
                    + "%,d shared floats included); the heap budget is %s (train.memory.fraction %.2f of %s)",
                tasks,
                concurrentTasks,
                rowsPerTask,
                dim,
                human(heapBytesPerTask()),
                human(offHeapBytesPerTask()),
                sharedFloats,
                human(budgetBytes()),
                fraction,
                human(executorBytes)));
    if (overheadBytes > 0) {
      why.append(
          String.format(
              Locale.ROOT,
              ", the off-heap budget %s (spark.executor.memoryOverhead)",
              human(overheadBytes)));
    }
    List<String> all = new ArrayList<>(options);
    all.add("fewer concurrent tasks per executor (spark.task.cpus)");
    all.add(
        "more executor memory (spark.executor.memory, spark.executor.memoryOverhead, "
            + "train.memory.executor-bytes)");
    why.append(". Options: ").append(String.join("; ", all)).append('.');
    throw new PipelineException(why.toString());
  }

  /**
   * Floats of one step's working memory: candidate scores and their gradients, gathered candidate
   * and query rows.
   */
  public static long stepFloats(TrainConfig c, long tableRows) {
    long candidates = c.allEntities() ? tableRows : (long) c.negatives() + c.batchNegatives();
    long chunks =
        "chunked".equals(c.sampler())
            ? Math.max(1, c.batchSize() / Math.max(1, c.chunkSize()))
            : c.batchSize();
    long scores = (long) c.batchSize() * candidates * 4;
    long gathered = chunks * candidates * c.dim() * 2 + (long) c.batchSize() * 3 * c.dim() * 2;
    return scores + gathered;
  }

  /**
   * Memory per executor: the configured value, else spark.executor.memory, else (local mode) the
   * JVM heap.
   */
  public static long executorMemory(SparkConf conf, long configured) {
    if (configured > 0) {
      return configured;
    }
    if (LocalMaster.is(conf)) {
      return Runtime.getRuntime().maxMemory();
    }
    return conf.getSizeAsBytes("spark.executor.memory", "1g");
  }

  /**
   * Off-heap memory of an executor on a cluster (spark.executor.memoryOverhead, else Spark's
   * default); 0 locally.
   */
  public static long overheadMemory(SparkConf conf, long executorBytes) {
    if (LocalMaster.is(conf)) {
      return 0;
    }
    if (conf.contains("spark.executor.memoryOverhead")) {
      return conf.getSizeAsBytes("spark.executor.memoryOverhead");
    }
    double factor = Double.parseDouble(conf.get("spark.executor.memoryOverheadFactor", "0.1"));
    return Math.max(384L << 20, (long) (executorBytes * factor));
  }

  /**
   * Tasks an executor runs at once: local mode the local cores, else executor cores / task cpus.
   */
  public static int concurrentTasks(SparkConf conf, int defaultParallelism, int tasks) {
    int slots;
    if (LocalMaster.is(conf)) {
      slots = defaultParallelism;
    } else {
      slots =
          Math.max(
              1,
              conf.getInt("spark.executor.cores", 1)
                  / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    }
    return Math.max(1, Math.min(slots, tasks));
  }

  static String human(long bytes) {
    if (bytes >= 1L << 30)
      return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    if (bytes >= 1L << 20)
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
  }
}
