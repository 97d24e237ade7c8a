package org.sparkkge.jobs.deploy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.List;
import org.sparkkge.jobs.cli.CommonOptions;
import org.sparkkge.jobs.cli.Main;
import org.sparkkge.jobs.progress.Streams;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParseResult;

/** Parses (never runs) a spark-kge command line with the CLI's own picocli model. */
final class RealCli {
  /**
   * The documented shape of a stage command, built from the CLI's option class, for stages not
   * registered yet.
   */
  @Command(name = "documented-stage")
  static final class DocumentedStageShape {
    @Mixin CommonOptions common;
  }

  private RealCli() {}

  static CommandLine mainCommandLine() throws ReflectiveOperationException {
    Method factory = Main.class.getDeclaredMethod("commandLine", Streams.class);
    factory.setAccessible(true);
    PrintStream sink = new PrintStream(new ByteArrayOutputStream());
    return (CommandLine) factory.invoke(null, new Streams(sink, sink));
  }

  static boolean registered(String stage) throws ReflectiveOperationException {
    return mainCommandLine().getSubcommands().containsKey(stage);
  }

  /** Main's parse of args (STAGE first); a picocli ParameterException fails the caller's test. */
  static ParseResult parse(List<String> args) throws ReflectiveOperationException {
    return mainCommandLine().parseArgs(args.toArray(String[]::new)).subcommand();
  }

  /** Parse of the stage options (everything after STAGE) against the documented shape. */
  static ParseResult parseDocumentedShape(List<String> args) {
    return new CommandLine(new DocumentedStageShape())
        .parseArgs(args.subList(1, args.size()).toArray(String[]::new));
  }
}
