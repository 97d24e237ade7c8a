package org.sparkkge.jobs.graph;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.sparkkge.jobs.GpuScheduling;
import org.sparkkge.jobs.LocalMaster;

/**
 * The shard count used when partition.shards = 0: one shard per GPU when executors request GPUs
 * (spark.executor.resource.gpu.amount > 0, not under a local master: executors x GPUs per
 * executor), else one per task slot, executors x (spark.executor.cores / spark.task.cpus), so that
 * the P training tasks of a wave fill every executor core; in local mode one per local core (the N
 * of local[N], all cores for local[*]). Executors are spark.executor.instances when set, else the
 * executors registered at the time of the call.
 */
record DefaultShards(int shards, String reason) {
  static DefaultShards of(SparkContext context) {
    SparkConf conf = context.getConf();
    String master = context.master();
    boolean isLocal = LocalMaster.is(master);
    int executors;
    String executorReason;
    if (isLocal) {
      executors = 1;
      executorReason = "1 local executor";
    } else if (conf.contains("spark.executor.instances")) {
      executors = Math.max(1, conf.getInt("spark.executor.instances", 1));
      executorReason = executors + " executors (spark.executor.instances)";
    } else {
      // getExecutorInfos includes the driver.
      executors = Math.max(1, context.statusTracker().getExecutorInfos().length - 1);
      executorReason = executors + " registered executors";
    }
    int perExecutor = GpuScheduling.gpusPerExecutor(context); // 0 under a local master
    if (perExecutor > 0) {
      return new DefaultShards(
          executors * perExecutor,
          executorReason + " x " + perExecutor + " GPUs (spark.executor.resource.gpu.amount)");
    }
    if (isLocal) {
      int cores = LocalMaster.threads(master);
      return new DefaultShards(Math.max(1, cores), cores + " local cores (" + master + ")");
    }
    int cores = Math.max(1, conf.getInt("spark.executor.cores", 1));
    int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
    int slots = Math.max(1, cores / taskCpus);
    return new DefaultShards(
        executors * slots,
        executorReason
            + " x "
            + slots
            + " task slots (spark.executor.cores "
            + cores
            + " / spark.task.cpus "
            + taskCpus
            + ")");
  }
}
