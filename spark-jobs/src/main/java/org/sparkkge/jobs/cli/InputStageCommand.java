package org.sparkkge.jobs.cli;

import java.util.List;
import org.sparkkge.jobs.progress.Streams;
import org.sparkkge.jobs.stage.Stage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The subcommand of a stage that reads the input triples (ingest), and of run. */
@Command(
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = VersionProvider.class)
final class InputStageCommand extends StageCommand {
  @Mixin InputOptions inputOptions;

  InputStageCommand(List<Stage> stages, Streams streams) {
    super(stages, streams);
  }

  @Override
  InputOptions inputs() {
    return inputOptions;
  }
}
