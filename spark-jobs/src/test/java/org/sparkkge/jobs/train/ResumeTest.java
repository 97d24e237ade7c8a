package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.cli.Main;

/**
 * A run killed (kill -9) mid-training and resumed ends with exactly the parameters of an
 * uninterrupted run.
 */
class ResumeTest {
  private static final int EPOCHS = 3;

  /**
   * libtorch's CPU kernels are not bit-reproducible from run to run here: the same in-process run
   * twice differs by ~1e-7 after two rounds (measured), so parameters are compared within a
   * tolerance far below what one round of training changes (~1e-2).
   */
  private static final float TOLERANCE = 1e-4f;

  @TempDir Path tmp;

  @Test
  void killedRunResumesToTheSameParameters() throws Exception {
    Path straight = TrainFixtures.umls(tmp.resolve("straight"), 2);
    Path killed = TrainFixtures.umls(tmp.resolve("killed"), 2);
    List<String> settings = TrainFixtures.umlsSettings(EPOCHS, 1.0);

    Process child = startChild(killed, settings);
    try {
      Path first = killed.resolve("model/checkpoints/round-00001/_COMPLETE");
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (child.isAlive() && !Files.exists(first) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(
          child.isAlive(),
          "the child ended before it could be killed:\n" + Files2.read(tmp.resolve("child.log")));
      assertTrue(
          Files.exists(first),
          "no first checkpoint appeared:\n" + Files2.read(tmp.resolve("child.log")));
      child.destroyForcibly(); // SIGKILL mid-round: no shutdown hooks, no cleanup
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
    } finally {
      child.destroyForcibly();
    }
    assertFalse(
        Files.exists(killed.resolve("model/final")), "a killed run must not leave a final model");
    assertFalse(Files.exists(killed.resolve("_stages/train.json")));

    List<String> refused = new ArrayList<>(List.of("train", "--output", killed.toString()));
    refused.addAll(settings);
    Cli.Result without = Cli.run(refused.toArray(new String[0]));
    assertEquals(1, without.exitCode(), without.toString());
    assertTrue(without.err().contains("--resume"), without.err());

    List<String> resume = new ArrayList<>(refused);
    resume.add("--resume");
    Cli.Result resumed = Cli.run(resume.toArray(new String[0]));
    assertEquals(0, resumed.exitCode(), resumed.toString());
    assertTrue(resumed.err().contains("train: resuming after round"), resumed.err());

    List<String> full = new ArrayList<>(List.of("train", "--output", straight.toString()));
    full.addAll(settings);
    Cli.Result uninterrupted = Cli.run(full.toArray(new String[0]));
    assertEquals(0, uninterrupted.exitCode(), uninterrupted.toString());

    ModelParameters a = TrainFixtures.finalParameters(straight, "complex");
    ModelParameters b = TrainFixtures.finalParameters(killed, "complex");
    assertArrayEquals(a.entities(), b.entities(), TOLERANCE, "entity table");
    assertArrayEquals(
        a.entityAdagrad(), b.entityAdagrad(), TOLERANCE * 100, "entity Adagrad state");
    assertArrayEquals(a.relations(), b.relations(), TOLERANCE, "relation table");
    assertArrayEquals(
        a.relationAdagrad(), b.relationAdagrad(), TOLERANCE * 100, "relation Adagrad state");

    // validation MRR per round (train.validation.every-rounds = 1): round 1's came from the killed
    // run's
    // checkpoint, rounds 2 and 3 from the resumed one
    JsonNode resumedCurve =
        Files2.json(killed.resolve("stats.json")).get("train").get("round_valid_mrr");
    JsonNode straightCurve =
        Files2.json(straight.resolve("stats.json")).get("train").get("round_valid_mrr");
    assertEquals(EPOCHS, resumedCurve.size());
    for (int round = 1; round <= EPOCHS; round++) {
      double value = resumedCurve.get(round - 1).asDouble();
      assertTrue(resumedCurve.get(round - 1).isNumber(), "round " + round + ": " + resumedCurve);
      assertEquals(
          Files2.json(
                  killed.resolve(String.format("model/checkpoints/round-%05d/round.json", round)))
              .get("valid_mrr")
              .asDouble(),
          value,
          0.0);
      assertEquals(
          straightCurve.get(round - 1).asDouble(),
          value,
          1e-3,
          "round " + round + " as uninterrupted");
    }
  }

  private Process startChild(Path out, List<String> settings) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-")
          || arg.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
          || arg.startsWith("-Djdk.reflect")
          || arg.startsWith("-Dio.netty")
          || arg.startsWith("--enable-native-access")) {
        command.add(arg);
      }
    }
    command.addAll(
        List.of(
            "-Xmx1g",
            "-Dspark.ui.enabled=false",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "train",
            "--master",
            "local[2]",
            "--output",
            out.toString()));
    command.addAll(settings);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve("child.log").toFile())
        .start();
  }
}
