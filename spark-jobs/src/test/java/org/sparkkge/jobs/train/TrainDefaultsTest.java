package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.jobs.config.ConfigLoader;

/**
 * conf/spark-kge.conf is the documented source of the training defaults: every train.* key in it is
 * one the code reads (embedding-core's TrainConfig or the distributed loop's TrainOptions) and the
 * other way round, and embedding-core's builder defaults, used by the in-process benchmarks, say
 * the same, except where the pipeline gives a key its own meaning.
 */
class TrainDefaultsTest {
  /**
   * train.threads = 0 in the pipeline means spark.task.cpus; the library's 1 is one libtorch
   * thread.
   */
  private static final Set<String> PIPELINE_MEANING = Set.of("threads");

  @Test
  void everyTrainKeyIsKnownAndEveryKnownKeyIsDocumented() {
    Config train = ConfigLoader.defaults().getConfig("train");
    Set<String> documented = new TreeSet<>(train.root().keySet());
    Set<String> known = new TreeSet<>(TrainConfig.KEYS.keySet());
    known.remove("max-steps"); // the round length decides a round's steps; not a pipeline setting
    known.addAll(TrainOptions.OWN_KEYS);
    assertEquals(known, documented);
  }

  @Test
  void libraryDefaultsAreTheConfDefaults() {
    Config train = ConfigLoader.defaults().getConfig("train");
    Map<String, String> library = new TreeMap<>(TrainConfig.KEYS);
    Map<String, String> conf = new TreeMap<>();
    for (String key : TrainConfig.KEYS.keySet()) {
      if (train.hasPath(key)) {
        conf.put(key, String.valueOf(train.getAnyRef(key)));
      }
    }
    library.keySet().retainAll(conf.keySet());
    library.keySet().removeAll(PIPELINE_MEANING);
    conf.keySet().removeAll(PIPELINE_MEANING);
    // compare parsed values: the conf writes 1e6 or 0.1 where the builder prints 1000000.0 or 0.1
    assertEquals(TrainConfig.fromMap(library).toString(), TrainConfig.fromMap(conf).toString());
    assertEquals(library.keySet(), conf.keySet());
  }
}
