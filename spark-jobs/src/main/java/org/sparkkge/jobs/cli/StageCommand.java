package org.sparkkge.jobs.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.sparkkge.jobs.progress.Streams;
import org.sparkkge.jobs.stage.Stage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The subcommand of one stage that does not read the input triples. */
@Command(
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = VersionProvider.class)
class StageCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  private final List<Stage> stages;
  private final Streams streams;

  StageCommand(List<Stage> stages, Streams streams) {
    this.stages = stages;
    this.streams = streams;
  }

  InputOptions inputs() {
    return null;
  }

  @Override
  public Integer call() {
    InputOptions inputs = inputs();
    return new StageExecutor(streams)
        .execute(stages, common, inputs == null ? List.of() : inputs.asOverrides());
  }
}
