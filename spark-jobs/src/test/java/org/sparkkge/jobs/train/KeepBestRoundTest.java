package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.io.Layout;

/**
 * train.validation.keep = best and train.validation.patience on UMLS (P = 2, rounds of half an
 * epoch, validated on every valid triple after every round, at a learning rate that overshoots):
 * training stops once the patience has passed without a new best, model/final holds the best
 * round's checkpoint, and evaluate on the valid split of the export gives that round's validation
 * MRR; --resume stops again at once; the settings are refused without validation.
 */
class KeepBestRoundTest {
  private static final int PATIENCE = 1;

  @TempDir Path tmp;

  @Test
  void bestRoundIsTheEarliestHighestAndValidationsAreCountedSinceIt() {
    BestRound best = new BestRound();
    assertTrue(best.isEmpty());
    assertEquals(-1, best.round());
    best.add(2, 0.5);
    best.add(4, 0.7);
    best.add(6, 0.7);
    assertEquals(4, best.round(), "a tie keeps the earlier round");
    assertEquals(0.7, best.mrr(), 0.0);
    assertEquals(1, best.validationsSinceBest());
    best.add(8, 0.6);
    assertEquals(2, best.validationsSinceBest());
    best.add(10, 0.71);
    assertEquals(10, best.round());
    assertEquals(0, best.validationsSinceBest());
  }

  @Test
  void trainingStopsAfterThePatienceAndTheFinalModelIsTheBestRound() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("best"), 2);
    Cli.Result train = Cli.run(trainArgs(dir).toArray(String[]::new));
    assertEquals(0, train.exitCode(), train.toString());

    JsonNode stats = Files2.json(dir.resolve("stats.json")).get("train");
    JsonNode curve = stats.get("round_valid_mrr");
    int last = stats.get("last_round").asInt();
    int bestRound = stats.get("best_valid_round").asInt();
    System.out.println(
        "KEEP BEST UMLS P=2: valid MRR per round " + curve + ", final round " + bestRound);
    // what the run records follows from its own validation curve
    assertEquals(last, curve.size());
    int expectedBest = 1;
    for (int r = 1; r <= last; r++) {
      if (curve.get(r - 1).asDouble() > curve.get(expectedBest - 1).asDouble()) {
        expectedBest = r;
      }
    }
    assertEquals(expectedBest, bestRound);
    assertEquals(curve.get(bestRound - 1).asDouble(), stats.get("best_valid_mrr").asDouble(), 0.0);
    assertEquals(bestRound, stats.get("final_round").asInt());
    assertEquals("best", stats.get("keep").asText());
    // stopped PATIENCE validations (rounds) after the best, before the planned 16 rounds
    assertTrue(last < 16, "the run must stop early here: " + curve);
    assertEquals(bestRound + PATIENCE, last, curve.toString());
    assertEquals(last, stats.get("stopped_early_after_round").asInt());
    assertFalse(Files.exists(dir.resolve(Layout.checkpoint(last + 1))), "no round after the stop");
    assertTrue(train.err().contains("train: stopping early after round " + last), train.err());
    assertEquals(
        bestRound, Files2.json(dir.resolve("model/final/model.json")).get("rounds").asInt());

    // model/final is the best round's checkpoint, not the last round's
    ModelParameters finalModel = TrainFixtures.finalParameters(dir, "complex");
    ModelParameters atBest =
        TrainFixtures.parameters(dir.resolve(Layout.checkpoint(bestRound)).toString(), "complex");
    ModelParameters atLast =
        TrainFixtures.parameters(dir.resolve(Layout.checkpoint(last)).toString(), "complex");
    assertArrayEquals(atBest.entities(), finalModel.entities(), 0f);
    assertArrayEquals(atBest.relations(), finalModel.relations(), 0f);
    assertNotEquals(atLast.entities()[0], finalModel.entities()[0]);

    // the export's MRR on the valid split is the best round's validation MRR
    Cli.Result export = Cli.run("export", "--output", dir.toString());
    assertEquals(0, export.exitCode(), export.toString());
    Cli.Result evaluate =
        Cli.run("evaluate", "--output", dir.toString(), "--set", "evaluate.split=valid");
    assertEquals(0, evaluate.exitCode(), evaluate.toString());
    assertEquals(
        stats.get("best_valid_mrr").asDouble(),
        Files2.json(dir.resolve("metrics.json")).get("evaluation").get("filtered_mrr").asDouble(),
        1e-9);

    // --resume after the stop trains nothing: the patience has already passed
    List<String> resume = trainArgs(dir);
    resume.add("--resume");
    Cli.Result resumed = Cli.run(resume.toArray(String[]::new));
    assertEquals(0, resumed.exitCode(), resumed.toString());
    assertFalse(Files.exists(dir.resolve(Layout.checkpoint(last + 1))), "--resume stops again");
    JsonNode again = Files2.json(dir.resolve("stats.json")).get("train");
    assertEquals(bestRound, again.get("final_round").asInt());
    assertEquals(last, again.get("stopped_early_after_round").asInt());
  }

  @Test
  void keepBestAndPatienceAreRefusedWithoutValidation() throws Exception {
    for (String setting :
        new String[] {"train.validation.keep=best", "train.validation.patience=3"}) {
      Cli.Result result =
          Cli.run(
              "train",
              "--output",
              tmp.resolve("none").toString(),
              "--set",
              setting,
              "--set",
              "train.validation.every-rounds=0");
      assertNotEquals(0, result.exitCode(), result.toString());
      assertTrue(result.err().contains("set train.validation.every-rounds > 0"), result.err());
    }
  }

  private static List<String> trainArgs(Path dir) {
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    // 8 epochs in rounds of half an epoch: at lr 0.5 the validation MRR falls back after round 8
    args.addAll(TrainFixtures.umlsSettings(8, 0.5));
    args.addAll(
        List.of(
            "--set",
            "train.dim=16",
            "--set",
            "train.lr=0.5",
            "--set",
            "train.validation.every-rounds=1",
            "--set",
            "train.validation.max-triples=0",
            "--set",
            "train.validation.keep=best",
            "--set",
            "train.validation.patience=" + PATIENCE));
    return args;
  }
}
