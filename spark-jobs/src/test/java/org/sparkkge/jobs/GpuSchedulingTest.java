package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** Which tasks ask for GPUs, with how many cores, and what the train stage logs about it. */
class GpuSchedulingTest {
  private static SparkConf conf(String... keyValues) {
    SparkConf conf = new SparkConf(false);
    for (int i = 0; i < keyValues.length; i += 2) {
      conf.set(keyValues[i], keyValues[i + 1]);
    }
    return conf;
  }

  @Test
  void aTrainingTaskGetsTheExecutorsCoresDividedAmongItsGpus() {
    assertEquals(4, GpuScheduling.deviceTaskCpus(conf("spark.executor.cores", "8"), 2));
    assertEquals(1, GpuScheduling.deviceTaskCpus(conf("spark.executor.cores", "1"), 2));
    // never below spark.task.cpus; spark.task.cpus when the executor's cores are not set
    assertEquals(
        2,
        GpuScheduling.deviceTaskCpus(conf("spark.executor.cores", "2", "spark.task.cpus", "2"), 4));
    assertEquals(3, GpuScheduling.deviceTaskCpus(conf("spark.task.cpus", "3"), 1));
    assertEquals(2, GpuScheduling.gpusPerExecutor(conf("spark.executor.resource.gpu.amount", "2")));
    assertEquals(0, GpuScheduling.gpusPerExecutor(conf()));
    UsageException bad =
        assertThrows(
            UsageException.class,
            () -> GpuScheduling.gpusPerExecutor(conf("spark.executor.resource.gpu.amount", "two")));
    assertTrue(bad.getMessage().contains("spark.executor.resource.gpu.amount"), bad.getMessage());
  }

  @Test
  void theLogLineSaysWhereTrainingRuns() {
    SparkConf gpus = conf("spark.executor.resource.gpu.amount", "2", "spark.executor.cores", "8");
    assertEquals(
        Optional.of(
            "training, ranking and encoding tasks request 1 GPU and 4 core(s) each (2 GPU(s) per"
                + " executor); other tasks none"),
        GpuScheduling.describe("yarn", gpus, 0));
    String everyTask =
        GpuScheduling.describe("yarn", gpus.clone().set("spark.task.resource.gpu.amount", "1"), 0)
            .orElseThrow();
    assertTrue(everyTask.contains("every task of every stage also holds a GPU"), everyTask);
    assertEquals(Optional.empty(), GpuScheduling.describe("spark://h:7077", conf(), 0));
    // a local master ignores the executor setting: its tasks use the GPUs libtorch sees, if any
    assertEquals(Optional.empty(), GpuScheduling.describe("local[2]", gpus, 0));
    String local = GpuScheduling.describe("local[*]", conf(), 2).orElseThrow();
    assertTrue(
        local.startsWith(
            "under the local master local[*] training, ranking and encoding tasks use the 2 GPU(s)"),
        local);
  }
}
