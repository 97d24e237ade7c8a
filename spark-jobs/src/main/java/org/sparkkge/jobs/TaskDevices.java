package org.sparkkge.jobs;

import ai.djl.Device;
import java.io.Serializable;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;

/**
 * The devices of one job's tasks whose output is data (ranking counts, encoded entity rows) rather
 * than a summary the driver reads, as training's is. Each task records the device it runs on; a
 * task given a GPU it cannot use records the one-line reason instead and returns no rows, so Spark
 * runs it once (every retry would fail the same way). After the job the driver stops the stage with
 * the first reason ({@link #requireUsable}) before it uses the incomplete output, and reports where
 * the tasks ran ({@link #used}).
 */
public final class TaskDevices implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How a task finds its device: {@link Devices#forCurrentTask}, or a stand-in in tests. */
  @FunctionalInterface
  public interface DeviceLookup extends Serializable {
    Device taskDevice();
  }

  private final CollectionAccumulator<String> used;
  private final CollectionAccumulator<String> failures;
  private final DeviceLookup lookup;

  private TaskDevices(
      CollectionAccumulator<String> used,
      CollectionAccumulator<String> failures,
      DeviceLookup lookup) {
    this.used = used;
    this.failures = failures;
    this.lookup = lookup;
  }

  /** On the driver, before the job: tasks that look up the device Spark gave them. */
  public static TaskDevices register(SparkContext context, String name) {
    return register(context, name, Devices::forCurrentTask);
  }

  public static TaskDevices register(SparkContext context, String name, DeviceLookup lookup) {
    return new TaskDevices(
        context.collectionAccumulator(name + " task devices"),
        context.collectionAccumulator(name + " device failures"),
        lookup);
  }

  /** In a task: its device, or empty after recording why it cannot use the one it was given. */
  public Optional<Device> taskDevice() {
    try {
      Device device = lookup.taskDevice();
      used.add(device.toString());
      return Optional.of(device);
    } catch (DeviceUnavailableException e) {
      failures.add(e.getMessage());
      return Optional.empty();
    }
  }

  /** On the driver, after the job: stops {@code stage} with the first task's reason, if any. */
  public void requireUsable(String stage) {
    // sorted: the line does not depend on which task finished first
    Devices.requireUsable(stage, failures.value().stream().sorted());
  }

  /**
   * On the driver, after the job: task runs per device, e.g. {"cpu()": 4} (a stage Spark ran again
   * counts its tasks again).
   */
  public Map<String, Long> used() {
    Map<String, Long> counts = new TreeMap<>();
    for (String device : used.value()) {
      counts.merge(device, 1L, Long::sum);
    }
    return counts;
  }
}
