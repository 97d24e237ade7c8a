package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.cli.StageRegistry;
import org.sparkkge.jobs.stage.Stage;

class CliUsageTest {
  @TempDir Path tmp;

  @Test
  void unknownOptionIsAUsageError() {
    Cli.Result result = Cli.run("ingest", "--output", tmp.resolve("o").toString(), "--trian", "x");
    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(result.err().contains("Unknown options: '--trian', 'x'"), result.toString());
  }

  @Test
  void unknownStageIsAUsageError() {
    Cli.Result result = Cli.run("ingestt", "--output", "x");
    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(result.err().contains("Unmatched argument"), result.toString());
  }

  @Test
  void missingStageIsAUsageError() {
    Cli.Result result = Cli.run();
    assertEquals(2, result.exitCode(), result.toString());
    String stages =
        StageRegistry.pipeline().stream().map(Stage::name).collect(Collectors.joining(", "));
    assertTrue(stages.startsWith("ingest"), stages);
    assertTrue(
        result.err().contains("missing a stage: one of " + stages + ", run"), result.toString());
  }

  @Test
  void missingOutputIsAUsageError() {
    Cli.Result result = Cli.run("ingest", "--train", "x");
    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(result.err().contains("Missing required option: '--output=DIR'"), result.toString());
  }

  @Test
  void helpListsTheCommandShape() {
    Cli.Result top = Cli.run("--help");
    assertEquals(0, top.exitCode(), top.toString());
    assertTrue(top.out().contains("ingest") && top.out().contains("run"), top.toString());
    for (String stage : new String[] {"ingest", "run"}) {
      Cli.Result result = Cli.run(stage, "--help");
      assertEquals(0, result.exitCode(), result.toString());
      for (String option :
          new String[] {
            "--config",
            "--output",
            "--set",
            "--overwrite",
            "--master",
            "--train",
            "--valid",
            "--test"
          }) {
        assertTrue(
            result.out().contains(option), stage + " --help lacks " + option + "\n" + result);
      }
    }
  }

  @Test
  void unknownConfigurationKeyIsAUsageError() {
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            "x",
            "--output",
            tmp.resolve("o").toString(),
            "--set",
            "ingest.on-eror=skip");
    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(
        result
            .err()
            .contains(
                "spark-kge: unknown configuration key ingest.on-eror in --set ingest.on-eror=skip"),
        result.toString());
    assertFalse(tmp.resolve("o").toFile().exists());
  }

  @Test
  void badChoiceIsAUsageError() {
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            "x",
            "--output",
            tmp.resolve("o").toString(),
            "--set",
            "ingest.on-error=ignore");
    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(
        result.err().contains("ingest.on-error must be one of fail, skip, got 'ignore'"),
        result.toString());
  }

  @Test
  void missingTrainIsAUsageError() {
    Cli.Result result = Cli.run("ingest", "--output", tmp.resolve("o").toString());
    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(
        result.err().contains("no training input: give --train PATH or set input.train"),
        result.toString());
  }

  @Test
  void missingInputFileIsAFailure() {
    Path missing = tmp.resolve("nope.tsv");
    Cli.Result result =
        Cli.run("ingest", "--train", missing.toString(), "--output", tmp.resolve("o").toString());
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(
        result.err().contains("ingest: " + missing + ": no such file or directory (input.train)"),
        result.toString());
  }
}
