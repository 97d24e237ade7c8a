package org.sparkkge.jobs;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The DJL device of the running Spark task: the GPU Spark assigned to it, checked against the
 * libtorch DJL loaded, else the CPU. Used by every task that runs the model: training, the
 * periphery fit, ranking (validation, evaluate) and NodePiece encoding ({@link GpuScheduling}).
 */
public final class Devices {
  private Devices() {}

  /**
   * The task's device. A task Spark gave a GPU stops here, before any work, when the loaded
   * libtorch has no CUDA or does not see that GPU ({@link DeviceUnavailableException}, which the
   * task turns into its summary's deviceFailure). Under a local master, which cannot give tasks
   * GPUs, a task trains on a GPU that libtorch sees, if any ({@link #localDevice}); elsewhere a
   * task without a GPU trains on the CPU.
   */
  public static Device forCurrentTask() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return Device.cpu();
    }
    Map<String, ResourceInformation> resources = task.resourcesJMap();
    ResourceInformation gpu = resources == null ? null : resources.get("gpu");
    if (gpu == null || gpu.addresses().length == 0) {
      SparkEnv env = SparkEnv.get();
      if (env != null && LocalMaster.is(env.conf())) {
        return localDevice(task.partitionId(), visibleGpus(Engine.getEngine("PyTorch")));
      }
      return Device.cpu();
    }
    Engine engine = Engine.getEngine("PyTorch");
    return checkedGpu(
        gpu.addresses()[0],
        engine.hasCapability(StandardCapabilities.CUDA),
        visibleGpus(engine),
        engine.getVersion());
  }

  /** The GPUs {@code engine}'s libtorch sees: none without CUDA. */
  public static int visibleGpus(Engine engine) {
    return engine.hasCapability(StandardCapabilities.CUDA) ? engine.getGpuCount() : 0;
  }

  /**
   * GPUs the tasks of a local master use: those the libtorch of this JVM (the driver's, which runs
   * the tasks) sees; 0 for other masters.
   */
  public static int localGpus(SparkContext context) {
    if (!LocalMaster.is(context.master())) {
      return 0;
    }
    return visibleGpus(Engine.getEngine("PyTorch"));
  }

  /**
   * Under a local master: task {@code partition} on GPU {@code partition mod visibleGpus}, so the
   * concurrent tasks spread over the machine's GPUs; the CPU when libtorch sees none (a CPU build,
   * or CUDA_VISIBLE_DEVICES empty).
   */
  static Device localDevice(int partition, int visibleGpus) {
    return visibleGpus <= 0 ? Device.cpu() : Device.gpu(Math.floorMod(partition, visibleGpus));
  }

  /**
   * Stops {@code stage} with the first of its tasks' device failures (nulls: tasks that could use
   * their device), one line naming the stage.
   */
  public static void requireUsable(String stage, Stream<String> deviceFailures) {
    Optional<String> first = deviceFailures.filter(Objects::nonNull).findFirst();
    if (first.isPresent()) {
      throw new PipelineException(stage + ": " + first.get());
    }
  }

  /**
   * The device of a task Spark gave GPU {@code address}, where the loaded libtorch ({@code
   * version}) has CUDA or not and sees {@code visibleGpus} GPUs.
   */
  public static Device checkedGpu(String address, boolean cuda, int visibleGpus, String version) {
    int index;
    try {
      index = Integer.parseInt(address.trim());
    } catch (NumberFormatException e) {
      throw new DeviceUnavailableException(
          "Spark assigned GPU address '"
              + address
              + "', which is not a device index (check the GPU discovery script, docs/gpu.md)");
    }
    String library = System.getenv("PYTORCH_LIBRARY_PATH");
    String loaded =
        "the libtorch "
            + version
            + " that DJL loaded ("
            + (library == null || library.isBlank()
                ? "the CPU build in the application jar: PYTORCH_LIBRARY_PATH is not set"
                : "PYTORCH_LIBRARY_PATH=" + library)
            + ")";
    if (!cuda) {
      throw new DeviceUnavailableException(
          "this task was given GPU "
              + index
              + ", but "
              + loaded
              + " has no CUDA. Point PYTORCH_LIBRARY_PATH at a CUDA libtorch with DJL's JNI built"
              + " for it (deploy/gpu/build-djl-jni.sh, docs/gpu.md step 2) on every GPU node, or"
              + " run without GPUs (no spark.executor.resource.gpu.amount)");
    }
    if (index < 0 || index >= visibleGpus) {
      throw new DeviceUnavailableException(
          "this task was given GPU "
              + index
              + ", but "
              + loaded
              + " sees "
              + visibleGpus
              + " GPU(s) (CUDA_VISIBLE_DEVICES and the discovery script must agree, docs/gpu.md)");
    }
    return Device.gpu(index);
  }
}
