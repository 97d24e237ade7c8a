package org.sparkkge.jobs.cli;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every stage command takes (the command shape scripts and schedulers rely on). */
public final class CommonOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Configuration file (HOCON) layered over the defaults of conf/spark-kge.conf.")
  File config;

  @Option(
      names = "--output",
      paramLabel = "DIR",
      required = true,
      description = "Output directory (any Hadoop path: local, hdfs://, s3a://).")
  String output;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "Override one configuration key, e.g. --set ingest.on-error=skip (repeatable; last wins).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--overwrite", description = "Replace an existing non-empty output directory.")
  boolean overwrite;

  @Option(
      names = "--resume",
      description =
          "train (and run): continue from the last complete training checkpoint; same as --set train.resume=true.")
  boolean resume;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "Spark master (default: spark.master of the configuration, else spark-submit's, else an embedded local[*]).")
  String master;
}
