package org.sparkkge.jobs.train;

import java.util.Locale;
import org.apache.spark.SparkConf;
import org.sparkkge.jobs.PipelineException;

/**
 * Parameter memory of one executor before training: (largest shard's entity rows x dim x 4 bytes +
 * shared parameters) x optimizer-state factor, times the tasks an executor runs at once, against
 * train.memory.fraction of the executor's memory.
 */
public record MemoryEstimate(long rowsPerShard, int dim, long sharedFloats, double stateFactor, int concurrentTasks,
    long executorBytes, double fraction) {

  public long perTaskBytes() {
    return (long) Math.ceil((rowsPerShard * (double) dim * 4 + sharedFloats * 4.0) * stateFactor);
  }

  public long perExecutorBytes() {
    return perTaskBytes() * concurrentTasks;
  }

  public long budgetBytes() {
    return (long) (executorBytes * fraction);
  }

  public boolean fits() {
    return perExecutorBytes() <= budgetBytes();
  }

  /** Refuses the run with the numbers and what to change. */
  public void check(int shards, boolean nodePiece) {
    if (fits()) {
      return;
    }
    StringBuilder why = new StringBuilder(String.format(Locale.ROOT,
        "train: the parameters do not fit in executor memory: about %s per executor (%,d entity rows in the "
            + "largest shard x dim %d x 4 bytes + %,d shared floats, x optimizer-state factor %.1f, x %d "
            + "concurrent task(s)) against a budget of %s (train.memory.fraction %.2f of %s executor memory).",
        human(perExecutorBytes()), rowsPerShard, dim, sharedFloats, stateFactor, concurrentTasks,
        human(budgetBytes()), fraction, human(executorBytes)));
    why.append(" Options: ");
    if (!nodePiece) {
      why.append("train.mode = nodepiece (parameters independent of the number of entities); ");
    }
    why.append(String.format(Locale.ROOT, "more shards (partition.shards, now %d) so each holds fewer rows; ", shards));
    why.append(String.format(Locale.ROOT, "a lower train.dim (now %d); ", dim));
    why.append("or more executor memory (spark.executor.memory, train.memory.executor-bytes).");
    throw new PipelineException(why.toString());
  }

  /** Memory per executor: the configured value, else spark.executor.memory, else (local mode) the JVM heap. */
  public static long executorMemory(SparkConf conf, long configured) {
    if (configured > 0) {
      return configured;
    }
    if (conf.get("spark.master", "").startsWith("local")) {
      return Runtime.getRuntime().maxMemory();
    }
    return conf.getSizeAsBytes("spark.executor.memory", "1g");
  }

  /** Tasks an executor runs at once: local mode the local cores, else executor cores / task cpus. */
  public static int concurrentTasks(SparkConf conf, int defaultParallelism, int shards) {
    int slots;
    if (conf.get("spark.master", "").startsWith("local")) {
      slots = defaultParallelism;
    } else {
      slots = Math.max(1, conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1)));
    }
    return Math.max(1, Math.min(slots, shards));
  }

  static String human(long bytes) {
    if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
  }
}
