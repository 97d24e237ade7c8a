package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.jobs.SharedSpark;

class ShardTaskTest {
  /**
   * Concurrent tasks of one executor must not each take every core: 0 means the task's own cores.
   */
  @Test
  void threadsZeroBecomeTheTaskCoresAndAnExplicitCountIsKept() {
    assertEquals(
        1,
        ShardTask.withTaskThreads(TrainConfig.builder().threads(0).build()).threads(),
        "outside a Spark task: one thread");
    assertEquals(3, ShardTask.withTaskThreads(TrainConfig.builder().threads(3).build()).threads());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SharedSpark.get().sparkContext());
    List<Integer> inTasks =
        jsc.parallelize(List.of(0, 3, 0, 2), 4)
            .map(
                threads ->
                    ShardTask.withTaskThreads(TrainConfig.builder().threads(threads).build())
                        .threads())
            .collect();
    // spark.task.cpus is 1 in the shared local[2] session
    assertEquals(List.of(1, 3, 1, 2), inTasks);
  }
}
