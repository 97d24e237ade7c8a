package org.sparkkge.jobs.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.partitioner.PregelCheckpoints;

/**
 * Opens the SparkSession for a CLI run. Master, in order of precedence: --master, the
 * configuration's spark.master, the master spark-submit set (system property spark.master), and
 * finally an embedded local[*] Spark.
 */
public final class SparkSessions {
  public static final String LOCAL_MASTER = "local[*]";
  static final String SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions";

  private SparkSessions() {}

  /** The session and whether this run created it (only then does the run stop it). */
  public record Handle(SparkSession spark, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        spark.stop();
      }
    }
  }

  public static Handle open(Config config, String masterFlag) {
    boolean existed =
        SparkSession.getDefaultSession().isDefined() || SparkSession.getActiveSession().isDefined();
    SparkConf conf = new SparkConf(true);
    String configured = config.getString("spark.master");
    if (masterFlag != null && !masterFlag.isBlank()) {
      conf.setMaster(masterFlag);
    } else if (!configured.isBlank()) {
      conf.setMaster(configured);
    } else if (!conf.contains("spark.master")) {
      conf.setMaster(LOCAL_MASTER);
    }
    if (!conf.contains("spark.app.name")) {
      conf.setAppName(config.getString("spark.app-name"));
    }
    for (Map.Entry<String, ConfigValue> entry : config.getConfig("spark.conf").entrySet()) {
      conf.set(unquote(entry.getKey()), String.valueOf(entry.getValue().unwrapped()));
    }
    if (conf.get("spark.master").startsWith("local") && !conf.contains(SHUFFLE_PARTITIONS)) {
      // Spark's default of 200 shuffle partitions makes small local runs crawl through empty tasks.
      conf.set(SHUFFLE_PARTITIONS, String.valueOf(4 * Runtime.getRuntime().availableProcessors()));
    }
    if (!conf.contains(PregelCheckpoints.INTERVAL_KEY)) {
      // GraphX's default never checkpoints: one lost executor would fail a long Pregel program.
      conf.set(PregelCheckpoints.INTERVAL_KEY, String.valueOf(PregelCheckpoints.DEFAULT_INTERVAL));
    }
    NativeMemory.applyTo(conf);
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    return new Handle(spark, !existed);
  }

  /** entrySet() quotes keys that contain dots: "spark.sql.shuffle.partitions". */
  private static String unquote(String key) {
    if (key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")) {
      return key.substring(1, key.length() - 1);
    }
    return key;
  }
}
