package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class LocalMasterTest {
  @Test
  void localMastersAndTheirThreads() {
    assertEquals(1, LocalMaster.threads("local"));
    assertEquals(4, LocalMaster.threads("local[4]"));
    assertEquals(4, LocalMaster.threads("local[4,2]"));
    assertEquals(3, LocalMaster.threads("local[3, 5]"));
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(cores, LocalMaster.threads("local[*]"));
    assertEquals(cores, LocalMaster.threads("local[*,2]"));
    for (String master : List.of("local", "local[4]", "local[*]", "local[4,2]", "local[*, 3]")) {
      assertTrue(LocalMaster.is(master), master);
    }
  }

  @Test
  void clusterMastersAreNotLocal() {
    // local-cluster's executors are JVMs of their own, sized by spark.executor.memory
    for (String master :
        List.of("local-cluster[2,1,1024]", "yarn", "spark://h:7077", "k8s://https://h:6443", "")) {
      assertFalse(LocalMaster.is(master), master);
    }
    assertFalse(LocalMaster.is(new SparkConf(false)), "no master set");
    assertTrue(LocalMaster.is(new SparkConf(false).setMaster("local[2]")));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LocalMaster.threads("yarn"));
    assertEquals("not a local master: yarn", e.getMessage());
  }
}
