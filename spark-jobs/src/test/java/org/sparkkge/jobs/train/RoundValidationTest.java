package org.sparkkge.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.SharedSpark;

/**
 * Validation MRR per round (train.validation.*), shallow mode on UMLS P=2, 3 rounds: validated
 * after rounds 2 and 3 (every 2nd round and the last) on a seeded subset of 300 valid triples, with
 * the MRR embedding-core's evaluator gives on the same parameters and triples; and training with
 * validation ends with the parameters of training without it.
 */
class RoundValidationTest {
  /** libtorch's CPU kernels are not bit-reproducible run to run (docs/training.md). */
  private static final float TOLERANCE = 1e-4f;

  @TempDir Path tmp;

  @Test
  void validationMrrPerRoundWithoutChangingTraining() throws Exception {
    Path validated = TrainFixtures.umls(tmp.resolve("validated"), 2);
    Path plain = TrainFixtures.umls(tmp.resolve("plain"), 2);
    Cli.Result withValidation =
        train(
            validated,
            "--set",
            "train.validation.every-rounds=2",
            "--set",
            "train.validation.max-triples=300");
    assertEquals(0, withValidation.exitCode(), withValidation.toString());
    assertTrue(
        withValidation.err().contains("train: round 2 validation MRR"), withValidation.err());
    Cli.Result without = train(plain, "--set", "train.validation.every-rounds=0");
    assertEquals(0, without.exitCode(), without.toString());

    ModelParameters a = TrainFixtures.finalParameters(validated, "complex");
    ModelParameters b = TrainFixtures.finalParameters(plain, "complex");
    assertArrayEquals(b.entities(), a.entities(), TOLERANCE, "entity table");
    assertArrayEquals(b.relations(), a.relations(), TOLERANCE, "relation table");
    assertArrayEquals(
        b.entityAdagrad(), a.entityAdagrad(), TOLERANCE * 100, "entity Adagrad state");

    JsonNode round1 = Files2.json(validated.resolve("model/checkpoints/round-00001/round.json"));
    JsonNode round2 = Files2.json(validated.resolve("model/checkpoints/round-00002/round.json"));
    JsonNode round3 = Files2.json(validated.resolve("model/checkpoints/round-00003/round.json"));
    assertFalse(round1.has("valid_mrr"), "round 1 is not validated");
    assertEquals(300, round2.get("valid_triples").asInt());
    assertEquals(300, round3.get("valid_triples").asInt());

    JsonNode train = Files2.json(validated.resolve("stats.json")).get("train");
    JsonNode curve = train.get("round_valid_mrr");
    assertEquals(train.get("round_mean_loss").size(), curve.size(), "aligned with round_mean_loss");
    assertTrue(curve.get(0).isNull());
    assertEquals(round2.get("valid_mrr").asDouble(), curve.get(1).asDouble(), 0.0);
    assertEquals(round3.get("valid_mrr").asDouble(), curve.get(2).asDouble(), 0.0);
    assertEquals(300, train.get("validation").get("triples").asInt());
    assertEquals(
        "blockwise",
        train.get("validation").get("ranking").asText(),
        "the entity table is not collected");
    JsonNode plainTrain = Files2.json(plain.resolve("stats.json")).get("train");
    for (JsonNode v : plainTrain.get("round_valid_mrr")) {
      assertTrue(v.isNull());
    }
    assertTrue(plainTrain.get("validation").get("skipped").asText().startsWith("off"));

    // the same 300 triples (lowest xxhash64 of (train.seed, triple)) ranked by embedding-core's
    // evaluator
    List<Row> rows =
        SharedSpark.get()
            .read()
            .parquet(validated.resolve("triples/valid").toString())
            .select("head", "relation", "tail")
            .orderBy(
                xxhash64(lit(1L), col("head"), col("relation"), col("tail")),
                col("head"),
                col("relation"),
                col("tail"))
            .limit(300)
            .collectAsList();
    TripleArrays subset = TrainFixtures.triples(rows);
    TripleArrays known =
        TripleArrays.concat(
            TrainFixtures.triples(validated, "train"),
            TrainFixtures.triples(validated, "valid"),
            TrainFixtures.triples(validated, "test"));
    EvaluationResult reference =
        LinkPredictionEvaluator.evaluate(a, subset, known, 0, 256, 1, Device.cpu());
    double mrr = curve.get(2).asDouble();
    System.out.println(
        "VALIDATION UMLS P=2 rounds 2, 3: "
            + curve.get(1)
            + ", "
            + mrr
            + " (evaluator "
            + reference.realistic().mrr()
            + "), seconds "
            + round3.get("valid_seconds"));
    assertEquals(
        reference.realistic().mrr(), mrr, 1e-12, "the evaluator's MRR on the round's parameters");
    assertTrue(mrr > 0.2, "well above random ranking (about 0.04): " + mrr);
  }

  private static Cli.Result train(Path dir, String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(3, 1.0));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(new String[0]));
  }
}
