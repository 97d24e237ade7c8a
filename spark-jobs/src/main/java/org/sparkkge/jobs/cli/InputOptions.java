package org.sparkkge.jobs.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** --train/--valid/--test: override input.train/valid/test of the configuration. */
public final class InputOptions {
  @Option(
      names = "--train",
      paramLabel = "PATH",
      description = "Training triples: a file or a directory of parts (overrides input.train).")
  String train;

  @Option(
      names = "--valid",
      paramLabel = "PATH",
      description = "Validation triples (overrides input.valid).")
  String valid;

  @Option(
      names = "--test",
      paramLabel = "PATH",
      description = "Test triples (overrides input.test).")
  String test;

  /** As --set overrides, applied after the user's own --set so the flags win. */
  List<String> asOverrides() {
    List<String> overrides = new ArrayList<>();
    if (train != null) {
      overrides.add("input.train=" + train);
    }
    if (valid != null) {
      overrides.add("input.valid=" + valid);
    }
    if (test != null) {
      overrides.add("input.test=" + test);
    }
    return overrides;
  }
}
