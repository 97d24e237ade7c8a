package org.sparkkge.jobs.io;

import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * Writes a stage's datasets under a private staging directory. The returned counts (JSON-friendly
 * values: numbers, strings, maps, lists) go into the stage marker and the run manifest.
 */
@FunctionalInterface
public interface StagingWriter {
  Map<String, Object> write(Path staging) throws Exception;
}
