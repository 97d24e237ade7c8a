package org.sparkkge.jobs.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;

/**
 * Environment for the processes that run libtorch (the driver under a local master, the executors):
 * a training step allocates and frees tensors of up to hundreds of megabytes (a NodePiece step
 * gathers 5,000 entities x 55 token rows x 200 floats), and with glibc's defaults each one is a
 * fresh mmap that the kernel fills page by page, then returns. On the development machine
 * (transparent huge pages in madvise mode, as Debian and Ubuntu ship them) the trainer spent most
 * of its time in those page faults (docs/benchmarks.md, "Native memory settings"). These keep freed
 * memory in the process and let libtorch ask for huge pages:
 *
 * <ul>
 *   <li>THP_MEM_ALLOC_ENABLE=1: libtorch's CPU allocator aligns blocks of 2 MiB and more to huge
 *       pages and madvises them (one fault per 2 MiB instead of per 4 KiB);
 *   <li>MALLOC_MMAP_THRESHOLD_ (32 MiB, glibc's largest), MALLOC_TRIM_THRESHOLD_ (64 GiB: never
 *       trim) and MALLOC_TOP_PAD_ (256 MiB): blocks below 32 MiB come from the heap and stay there
 *       when freed, for the next step to reuse.
 * </ul>
 *
 * They are environment variables, read when the process starts (glibc) or allocates first
 * (libtorch): bin/spark-kge, the images and the submit scripts set them for the driver; {@link
 * #applyTo} gives them to the executors unless the configuration sets them.
 */
public final class NativeMemory {
  /** Variable -> value, in the order the launchers set them. */
  public static final Map<String, String> SETTINGS = settings();

  private static Map<String, String> settings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("THP_MEM_ALLOC_ENABLE", "1");
    m.put("MALLOC_MMAP_THRESHOLD_", "33554432");
    m.put("MALLOC_TRIM_THRESHOLD_", "68719476736");
    m.put("MALLOC_TOP_PAD_", "268435456");
    return java.util.Collections.unmodifiableMap(m);
  }

  private NativeMemory() {}

  /** spark.executorEnv.NAME for every setting the configuration does not set itself. */
  public static void applyTo(SparkConf conf) {
    SETTINGS.forEach((name, value) -> conf.setIfMissing("spark.executorEnv." + name, value));
  }
}
