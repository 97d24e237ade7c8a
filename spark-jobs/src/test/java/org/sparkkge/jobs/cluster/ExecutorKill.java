package org.sparkkge.jobs.cluster;

import java.time.Duration;

/** Kills an executor while a stage runs; landed once the driver reports the loss. */
interface ExecutorKill {
  void watch(Duration timeout) throws Exception;

  boolean landed();

  String summary();
}
