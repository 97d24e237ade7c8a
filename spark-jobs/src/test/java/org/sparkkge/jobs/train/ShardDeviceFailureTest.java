package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.sparkkge.jobs.DeviceUnavailableException;
import org.sparkkge.jobs.Devices;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.config.ConfigLoader;

/** A training task that cannot use its GPU reports it in its summary, once. */
class ShardDeviceFailureTest {
  /**
   * Tasks that fail the check return it in their summaries instead of throwing, so Spark runs each
   * once (no retries that would fail the same way), and the driver stops the run with one line.
   */
  @Test
  void tasksThatFailTheCheckRunOnceAndTheDriverStopsWithTheOneLine() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SharedSpark.get().sparkContext());
    LongAccumulator attempts = jsc.sc().longAccumulator("device check attempts");
    RoundInput in =
        new RoundInput(
            1,
            TrainOptions.from(ConfigLoader.defaults()),
            1,
            2,
            new float[2],
            new float[1],
            List.of());
    List<ShardOutput.Summary> summaries =
        jsc.parallelize(List.of(0, 1), 2)
            .map(
                task -> {
                  attempts.add(1);
                  try {
                    Device device = Devices.checkedGpu(String.valueOf(task), false, 0, "2.7.1");
                    throw new AssertionError("accepted " + device);
                  } catch (DeviceUnavailableException e) {
                    return ShardTask.deviceFailure(task, in, e);
                  }
                })
            .collect();
    assertEquals(2L, attempts.value(), "each task ran once");
    String line =
        assertThrows(PipelineException.class, () -> ShardTask.requireUsableDevices(summaries))
            .getMessage();
    assertTrue(line.startsWith("train: this task was given GPU "), line);
    assertTrue(line.endsWith("or run without GPUs (no spark.executor.resource.gpu.amount)"), line);
    assertEquals(0, summaries.get(0).triplesTrained(), "no work done");
    // summaries of tasks that could use their device pass
    ShardTask.requireUsableDevices(
        List.of(
            new ShardOutput.Summary(
                0,
                5,
                1,
                4,
                4,
                1.0,
                1.0,
                1,
                new float[2],
                new float[1],
                List.of(),
                null,
                "cpu()",
                null)));
  }
}
