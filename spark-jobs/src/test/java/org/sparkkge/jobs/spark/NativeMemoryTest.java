package org.sparkkge.jobs.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.sparkkge.jobs.Cli;

/** The native memory settings reach every process that runs libtorch, with one set of values. */
class NativeMemoryTest {
  @Test
  void executorsGetEachSettingTheConfigurationDoesNotSet() {
    SparkConf conf = new SparkConf(false).set("spark.executorEnv.MALLOC_TOP_PAD_", "0");
    NativeMemory.applyTo(conf);
    assertEquals("1", conf.get("spark.executorEnv.THP_MEM_ALLOC_ENABLE"));
    assertEquals("33554432", conf.get("spark.executorEnv.MALLOC_MMAP_THRESHOLD_"));
    assertEquals("68719476736", conf.get("spark.executorEnv.MALLOC_TRIM_THRESHOLD_"));
    assertEquals(
        "0", conf.get("spark.executorEnv.MALLOC_TOP_PAD_"), "the configuration's value wins");
    assertEquals(4, NativeMemory.SETTINGS.size());
  }

  /**
   * bin/spark-kge's and the benchmarks' defaults, the images, the YARN submit script (cluster-mode
   * driver) and the test JVMs set the same variables to the same values as the executors get.
   */
  @Test
  void everyLauncherSetsTheSameValues() throws Exception {
    Path root = Cli.repoRoot();
    Map<String, List<String>> forms =
        Map.of(
            "deploy/lib/native-memory.sh", List.of("%s=\"${%s:-%s}\""),
            "deploy/docker/Dockerfile", List.of("%s=%s"),
            "deploy/docker/Dockerfile.gpu", List.of("%s=%s"),
            "deploy/yarn/submit.sh", List.of("%s=%s"),
            "pom.xml", List.of("<%s>%s</%s>"),
            "spark-jobs/pom.xml", List.of("<%s>%s</%s>"));
    for (Map.Entry<String, List<String>> file : forms.entrySet()) {
      String text = Files.readString(root.resolve(file.getKey()));
      for (Map.Entry<String, String> setting : NativeMemory.SETTINGS.entrySet()) {
        String form = file.getValue().get(0);
        String expected =
            form.startsWith("%s=\"")
                ? String.format(form, setting.getKey(), setting.getKey(), setting.getValue())
                : form.startsWith("<")
                    ? String.format(form, setting.getKey(), setting.getValue(), setting.getKey())
                    : String.format(form, setting.getKey(), setting.getValue());
        assertTrue(text.contains(expected), file.getKey() + " lacks " + expected);
      }
    }
  }
}
