package org.sparkkge.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.nodepiece.NodePieceEncoder;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.train.SharedParams;
import org.sparkkge.jobs.train.TrainFixtures;

/**
 * The whole pipeline in one command, NodePiece mode: ingest, reduce, tokenize, partition (P=2),
 * train (only shared parameters, validation MRR every round), export (every entity encoded),
 * evaluate; ends with metrics.json.
 */
class RunChainTest {
  @TempDir Path tmp;

  @Test
  void runTakesUmlsFromRawTriplesToMetricsInNodePieceMode() throws Exception {
    Path data = Cli.repoRoot().resolve("data/umls");
    Path dir = tmp.resolve("run");
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--output",
                dir.toString(),
                "--train",
                data.resolve("train.txt.gz").toString(),
                "--valid",
                data.resolve("valid.txt.gz").toString(),
                "--test",
                data.resolve("test.txt.gz").toString(),
                "--set",
                "tokenize.anchors=20",
                "--set",
                "tokenize.k=5",
                "--set",
                "tokenize.m=5",
                "--set",
                "partition.shards=2",
                "--set",
                "train.mode=nodepiece",
                "--set",
                "train.dense-lr=0.01"));
    args.addAll(TrainFixtures.umlsSettings(6, 1.0));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(0, result.exitCode(), result.toString());
    assertTrue(Files.exists(dir.resolve("_stages/evaluate.json")));

    JsonNode metrics = Files2.json(dir.resolve("metrics.json"));
    double mrr = metrics.get("evaluation").get("filtered_mrr").asDouble();
    long parameters = metrics.get("export").get("parameters").asLong();
    System.out.println(
        "RUN NodePiece UMLS P=2: filtered MRR " + mrr + ", parameters " + parameters);
    assertTrue(mrr > 0.5, "filtered MRR " + mrr + " (measured 0.79; random ranking: about 0.04)");
    assertEquals(135, metrics.get("export").get("entities_encoded").asInt());
    int dim = Files2.json(dir.resolve("model.json")).get("dim").asInt();
    assertEquals(
        135L * dim + metrics.get("export").get("relation_parameters").asLong(),
        metrics.get("export").get("shallow_parameters").asLong(),
        "entity table + relations of a shallow run");
    assertTrue(result.out().contains("the same model as a shallow table: "), result.out());
    assertEquals(
        135,
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("entity_embeddings").toString())
            .filter("source = 'encoded'")
            .count());
    assertTrue(Files.exists(dir.resolve("nodepiece_vocabulary")));
    assertTrue(Files.exists(dir.resolve("nodepiece_encoder")));
    // the encoder's Adam state is checkpointed with its weights (so the next round and --resume
    // continue it) and kept out of the exported model
    SharedParams last =
        SharedParams.read(
            SharedSpark.get(),
            dir.resolve(Layout.checkpoint(6)).resolve(Layout.MODEL_SHARED).toString());
    float steps =
        last.encoder().stream()
            .filter(t -> t.name().equals(NodePieceEncoder.ADAM_STEPS))
            .findFirst()
            .orElseThrow()
            .values()[0];
    // each round adds the shards' steps averaged as the weights are (by triples trained)
    double expected = 0;
    for (int round = 1; round <= 6; round++) {
      JsonNode shards =
          Files2.json(dir.resolve(Layout.checkpoint(round)).resolve("round.json")).get("per_shard");
      double triples = 0;
      double weighted = 0;
      for (JsonNode shard : shards) {
        triples += shard.get("triples_trained").asDouble();
        weighted += shard.get("triples_trained").asDouble() * shard.get("steps").asDouble();
      }
      expected += weighted / triples;
    }
    assertTrue(expected > 0);
    assertEquals(expected, steps, 1e-3 * expected, "the Adam step count the last round left");
    assertEquals(22, last.encoder().size(), "7 weights, 2 moments each, the step count");
    assertEquals(
        List.of(),
        SharedParams.read(SharedSpark.get(), dir.resolve("nodepiece_encoder").toString())
            .encoder()
            .stream()
            .map(t -> t.name())
            .filter(name -> name.startsWith(NodePieceEncoder.ADAM_PREFIX))
            .toList());
    assertEquals("nodepiece", Files2.json(dir.resolve("model.json")).get("mode").asText());

    // validation per round in NodePiece mode: entities encoded with each round's encoder; after the
    // last
    // round on every valid triple (UMLS: 652, under train.validation.max-triples), as evaluate
    // ranks them
    JsonNode curve = Files2.json(dir.resolve("stats.json")).get("train").get("round_valid_mrr");
    assertEquals(6, curve.size());
    curve.forEach(v -> assertTrue(v.isNumber(), "every round validated: " + curve));
    Cli.Result onValid =
        Cli.run(
            "evaluate", "--output", dir.toString(), "--overwrite", "--set", "evaluate.split=valid");
    assertEquals(0, onValid.exitCode(), onValid.toString());
    JsonNode validMetrics = Files2.json(dir.resolve("metrics.json")).get("evaluation");
    assertEquals("valid", validMetrics.get("split").asText());
    assertEquals(
        validMetrics.get("filtered_mrr").asDouble(),
        curve.get(5).asDouble(),
        1e-9,
        "last round's validation MRR = evaluate on the valid split of the export");

    // an entity added after training: the edges of a known entity under a new name, embedded
    // without retraining
    List<Row> named =
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("triples/train").toString())
            .join(
                SharedSpark.get()
                    .read()
                    .parquet(dir.resolve("entities").toString())
                    .withColumnRenamed("id", "head")
                    .withColumnRenamed("name", "h"),
                "head")
            .join(
                SharedSpark.get()
                    .read()
                    .parquet(dir.resolve("relations").toString())
                    .withColumnRenamed("id", "relation")
                    .withColumnRenamed("name", "r"),
                "relation")
            .join(
                SharedSpark.get()
                    .read()
                    .parquet(dir.resolve("entities").toString())
                    .withColumnRenamed("id", "tail")
                    .withColumnRenamed("name", "t"),
                "tail")
            .filter("head = 0")
            .select("h", "r", "t")
            .collectAsList();
    StringBuilder tsv = new StringBuilder();
    for (Row row : named) {
      tsv.append("brand_new_entity\t")
          .append(row.getString(1))
          .append('\t')
          .append(row.getString(2))
          .append('\n');
    }
    Path added = Files2.write(tmp.resolve("added.tsv"), tsv.toString());
    Cli.Result export =
        Cli.run(
            "export",
            "--output",
            dir.toString(),
            "--overwrite",
            "--set",
            "export.new-triples=" + added);
    assertEquals(0, export.exitCode(), export.toString());
    List<Row> fresh =
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("new_entity_embeddings").toString())
            .collectAsList();
    assertEquals(1, fresh.size());
    assertEquals(135, fresh.get(0).getInt(0), "new ids follow the known ones");
    assertEquals("brand_new_entity", fresh.get(0).getString(1));
    assertEquals("encoded", fresh.get(0).getString(4));
    assertEquals(64, fresh.get(0).getList(2).size());
  }
}
