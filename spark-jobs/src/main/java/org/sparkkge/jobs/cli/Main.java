package org.sparkkge.jobs.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.spark.SparkUserAppException;
import org.sparkkge.jobs.progress.Streams;
import org.sparkkge.jobs.query.NeighborsCommand;
import org.sparkkge.jobs.stage.Stage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Entry point of bin/spark-kge and of spark-submit ({@code --class org.sparkkge.jobs.cli.Main}).
 * One subcommand per registered stage plus {@code run}; every one takes {@code [--config FILE]
 * --output DIR [--set KEY=VALUE]... [--overwrite] [--master URL]}. Exit codes: 0 success, 1
 * failure, 2 usage error.
 */
@Command(
    name = "spark-kge",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    synopsisSubcommandLabel = "STAGE",
    description =
        "Knowledge-graph embeddings on Apache Spark. Run one stage, or the whole pipeline with run.")
public final class Main implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(),
        "missing a stage: one of " + String.join(", ", spec.subcommands().keySet()));
  }

  public static void main(String[] args) throws SparkUserAppException {
    int code = execute(args, System.out, System.err);
    if (underSparkLauncher()) {
      // Under spark-submit and in YARN's ApplicationMaster (cluster mode) System.exit marks even a
      // successful application as failed; Spark reads a normal return as success and this
      // exception's code as the exit status.
      if (code != 0) {
        throw new SparkUserAppException(code, null);
      }
      return;
    }
    System.exit(code);
  }

  /**
   * spark-submit's JVM sets SPARK_SUBMIT; in YARN cluster mode the driver runs in the
   * ApplicationMaster's JVM, which sets the application's Spark settings as system properties
   * instead (found by YarnPipelineIT: the application was reported failed after a successful run).
   */
  static boolean underSparkLauncher() {
    return Boolean.getBoolean("SPARK_SUBMIT")
        || "cluster".equals(System.getProperty("spark.submit.deployMode"));
  }

  public static int execute(String[] args, PrintStream out, PrintStream err) {
    return commandLine(new Streams(out, err)).execute(args);
  }

  static CommandLine commandLine(Streams streams) {
    CommandLine cli = new CommandLine(new Main());
    List<Stage> pipeline = StageRegistry.pipeline();
    for (Stage stage : pipeline) {
      StageCommand command =
          stage.readsInputs()
              ? new InputStageCommand(List.of(stage), streams)
              : new StageCommand(List.of(stage), streams);
      CommandLine sub = new CommandLine(command);
      sub.getCommandSpec().usageMessage().description(stage.summary());
      cli.addSubcommand(stage.name(), sub);
    }
    CommandLine run = new CommandLine(new InputStageCommand(pipeline, streams));
    run.getCommandSpec()
        .usageMessage()
        .description(
            "Run every stage in order: "
                + pipeline.stream().map(Stage::name).collect(Collectors.joining(", "))
                + ".");
    cli.addSubcommand("run", run);
    cli.addSubcommand("neighbors", NeighborsCommand.commandLine(streams));
    cli.addSubcommand("doctor", DoctorCommand.commandLine(streams));
    cli.setOut(new PrintWriter(streams.out(), true));
    cli.setErr(new PrintWriter(streams.err(), true));
    return cli;
  }
}
