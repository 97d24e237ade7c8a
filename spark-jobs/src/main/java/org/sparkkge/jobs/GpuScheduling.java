package org.sparkkge.jobs;

import java.util.Locale;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;

/**
 * GPUs for the tasks that run the model, and for no other task. With GPUs configured per executor
 * ({@code spark.executor.resource.gpu.amount}), the RDDs whose tasks compute on a device (the train
 * stage's shard tasks, export's periphery fit, the ranking tasks of validation and evaluate, and
 * NodePiece encoding) are scheduled with a task resource profile of one GPU and the executor's
 * cores shared among its GPUs (Spark's stage-level scheduling); every other task keeps the default
 * profile, one core and no GPU, so ingest, reduce, tokenize, partition and the joins and writes
 * around the model use every core of a GPU executor. A local master cannot schedule GPU tasks
 * (Spark supports task resource profiles on standalone, YARN and Kubernetes only): there the
 * executor GPU setting is ignored and each device task picks a GPU itself ({@code
 * Devices.forCurrentTask}).
 */
public final class GpuScheduling {
  public static final String EXECUTOR_GPUS = "spark.executor.resource.gpu.amount";
  public static final String APPLICATION_TASK_GPUS = "spark.task.resource.gpu.amount";

  // One profile per SparkContext: every build() registers a new profile id, and under dynamic
  // allocation each id gets executors of its own.
  private static SparkContext profiledContext;
  private static Optional<ResourceProfile> profile = Optional.empty();

  private GpuScheduling() {}

  /**
   * GPUs per executor that device tasks can use: {@code spark.executor.resource.gpu.amount}, or 0
   * without it and under a local master.
   */
  public static int gpusPerExecutor(SparkContext context) {
    if (LocalMaster.is(context.master())) {
      return 0;
    }
    return gpusPerExecutor(context.getConf());
  }

  static int gpusPerExecutor(SparkConf conf) {
    String amount = conf.get(EXECUTOR_GPUS, "0").trim();
    double gpus;
    try {
      gpus = Double.parseDouble(amount);
    } catch (NumberFormatException e) {
      throw new UsageException(EXECUTOR_GPUS + " must be a number of GPUs, not '" + amount + "'");
    }
    return Math.max(0, (int) Math.floor(gpus));
  }

  /**
   * Cores of a device task on a GPU executor: the executor's cores divided among its GPUs, so that
   * one device task per GPU runs at a time and libtorch gets the rest of the cores (train.threads =
   * 0); {@code spark.task.cpus} when the executor's cores are not configured.
   */
  static int deviceTaskCpus(SparkConf conf, int gpusPerExecutor) {
    int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
    if (!conf.contains("spark.executor.cores")) {
      return taskCpus;
    }
    int cores = conf.getInt("spark.executor.cores", 1);
    return Math.max(taskCpus, cores / Math.max(1, gpusPerExecutor));
  }

  /** The resource profile of a device task, or empty when the application has no GPUs. */
  public static synchronized Optional<ResourceProfile> deviceProfile(SparkContext context) {
    if (profiledContext != context) {
      profiledContext = context;
      int gpus = gpusPerExecutor(context);
      profile =
          gpus == 0
              ? Optional.empty()
              : Optional.of(
                  new ResourceProfileBuilder()
                      .require(
                          new TaskResourceRequests()
                              .cpus(deviceTaskCpus(context.getConf(), gpus))
                              .resource("gpu", 1.0))
                      .build());
    }
    return profile;
  }

  /** {@code rdd}, whose tasks compute on a device, with the device profile where GPUs are used. */
  public static <T> JavaRDD<T> onDevice(JavaRDD<T> rdd) {
    Optional<ResourceProfile> device = deviceProfile(rdd.context());
    return device.isPresent() ? rdd.withResources(device.get()) : rdd;
  }

  /** {@code rdd}, whose tasks compute on a device, with the device profile where GPUs are used. */
  public static <K, V> JavaPairRDD<K, V> onDevice(JavaPairRDD<K, V> rdd) {
    // JavaPairRDD has no withResources; the profile is set on (and kept by) the underlying RDD
    deviceProfile(rdd.context()).ifPresent(profile -> rdd.rdd().withResources(profile));
    return rdd;
  }

  /**
   * One line for the log on the devices the model's tasks use, or empty for CPUs only. {@code
   * localGpus}: the GPUs the loaded libtorch sees, which tasks under a local master use.
   */
  public static Optional<String> describe(SparkContext context, int localGpus) {
    return describe(context.master(), context.getConf(), localGpus);
  }

  static Optional<String> describe(String master, SparkConf conf, int localGpus) {
    if (LocalMaster.is(master)) {
      // Spark cannot schedule GPU tasks here; the tasks pick a GPU themselves (Devices)
      return localGpus == 0
          ? Optional.empty()
          : Optional.of(
              "under the local master "
                  + master
                  + " training, ranking and encoding tasks use the "
                  + localGpus
                  + " GPU(s) libtorch sees (task i on GPU i mod "
                  + localGpus
                  + "; CUDA_VISIBLE_DEVICES= keeps them on the CPU)");
    }
    int configured = gpusPerExecutor(conf);
    if (configured == 0) {
      return Optional.empty();
    }
    String line =
        String.format(
            Locale.ROOT,
            "training, ranking and encoding tasks request 1 GPU and %d core(s) each (%d GPU(s) per"
                + " executor); other tasks none",
            deviceTaskCpus(conf, configured),
            configured);
    if (conf.contains(APPLICATION_TASK_GPUS)) {
      line +=
          "; "
              + APPLICATION_TASK_GPUS
              + " is set for the whole application, so every task of every stage also holds a GPU:"
              + " leave it unset (docs/gpu.md)";
    }
    return Optional.of(line);
  }
}
