package org.sparkkge.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.config.ConfigLoader;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.io.RunInfo;
import org.sparkkge.jobs.train.SharedParams;
import org.sparkkge.jobs.train.TrainFixtures;

/**
 * UMLS on P=2 shards: train (10 epochs, 10 rounds), export, evaluate. The distributed filtered
 * ranking equals embedding-core's single-process evaluator on the exported parameters, and the MRR
 * is far above random (random ranking: about 0.04 on UMLS; measured here 0.77, threshold 0.6).
 * Evaluated again with a budget far below the entity matrix, the blockwise path writes the same
 * metrics.
 */
class EvaluateStageTest {
  @TempDir Path tmp;

  @Test
  void twoShardsTrainExportAndEvaluateUmls() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("p2"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(10, 1.0));
    // validation per round is RoundValidationTest's; here it would rank the valid split ten times
    args.addAll(List.of("--set", "train.validation.every-rounds=0"));
    Cli.Result train = Cli.run(args.toArray(new String[0]));
    assertEquals(0, train.exitCode(), train.toString());
    for (int round = 0; round <= 10; round++) {
      assertTrue(
          Files.exists(
              dir.resolve(String.format("model/checkpoints/round-%05d/_COMPLETE", round))));
    }
    Cli.Result export = Cli.run("export", "--output", dir.toString());
    assertEquals(0, export.exitCode(), export.toString());
    Cli.Result evaluate =
        Cli.run("evaluate", "--output", dir.toString(), "--set", "evaluate.query-groups=3");
    assertEquals(0, evaluate.exitCode(), evaluate.toString());

    JsonNode metrics = Files2.json(dir.resolve("metrics.json")).get("evaluation");
    TripleArrays test = TrainFixtures.triples(dir, "test");
    assertEquals(2 * test.size(), metrics.get("filtered_queries").asInt());
    double mrr = metrics.get("filtered_mrr").asDouble();
    System.out.println(
        "EVALUATE P=2 UMLS complex dim 64, 10 epochs: filtered MRR "
            + mrr
            + ", hits@10 "
            + metrics.get("filtered_hits@10").asDouble());
    assertTrue(mrr > 0.6, "filtered MRR " + mrr);

    ModelParameters params = exported(dir);
    TripleArrays known =
        TripleArrays.concat(
            TrainFixtures.triples(dir, "train"), TrainFixtures.triples(dir, "valid"), test);
    EvaluationResult reference =
        LinkPredictionEvaluator.evaluate(params, test, known, 0, 256, 1, Device.cpu());
    // same ranks: MR and hits exactly; MRR up to the rounding of the evaluator's summation order
    assertEquals(
        reference.realistic().mrr(), mrr, 1e-12, "same ranks as the single-process evaluator");
    assertEquals(reference.realistic().meanRank(), metrics.get("filtered_mr").asDouble(), 0.0);
    assertEquals(reference.realistic().hitsAt1(), metrics.get("filtered_hits@1").asDouble(), 0.0);
    assertEquals(reference.realistic().hitsAt3(), metrics.get("filtered_hits@3").asDouble(), 0.0);
    assertEquals(reference.realistic().hitsAt10(), metrics.get("filtered_hits@10").asDouble(), 0.0);
    JsonNode stats = Files2.json(dir.resolve("stats.json")).get("evaluate");
    assertEquals("broadcast", stats.get("ranking").asText());
    assertEquals(1, stats.get("entity_blocks").asInt());

    List<Row> perRelation =
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("evaluation/per_relation").toString())
            .orderBy("relation")
            .collectAsList();
    assertEquals(reference.perRelation().size(), perRelation.size());
    long queries = 0;
    for (Row row : perRelation) {
      queries += row.getLong(2);
      assertEquals(
          reference.perRelation().get(row.getInt(0)).mrr(),
          row.getDouble(3),
          1e-9,
          "MRR of relation " + row.getString(1));
    }
    assertEquals(2L * test.size(), queries);
    assertTrue(Files2.json(dir.resolve("metrics.json")).has("train"), "export's sections are kept");

    // a budget of 39 rows (64 floats each): the entity table stays distributed, ranked in 4 blocks
    Cli.Result blockwise =
        Cli.run(
            "evaluate",
            "--output",
            dir.toString(),
            "--overwrite",
            "--set",
            "evaluate.query-groups=2",
            "--set",
            "evaluate.broadcast-budget-bytes=10000");
    assertEquals(0, blockwise.exitCode(), blockwise.toString());
    JsonNode blockStats = Files2.json(dir.resolve("stats.json")).get("evaluate");
    assertEquals("blockwise", blockStats.get("ranking").asText());
    assertEquals(4, blockStats.get("entity_blocks").asInt());
    assertEquals(39, blockStats.get("entities_per_block").asInt());
    assertEquals(
        metrics,
        Files2.json(dir.resolve("metrics.json")).get("evaluation"),
        "blockwise metrics.json equals the broadcast one exactly, per relation too");
    assertEquals(
        perRelation,
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("evaluation/per_relation").toString())
            .orderBy("relation")
            .collectAsList());
  }

  /**
   * UMLS trained without entities 0-9 (export places them from their edges): metrics.json's
   * by_region splits the test triples into those whose entities were all trained and those touching
   * a placed entity, each with the single-process evaluator's MRR over that subset, on both ranking
   * paths.
   */
  @Test
  void metricsAreSplitIntoTrainedAndPlacedRegionsAsTheEvaluatorRanksEachSubset() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("regions"), 2);
    int[] placed = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    TrainFixtures.partitionWithout(dir, 2, placed);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(1, 1.0));
    args.addAll(List.of("--set", "train.dim=16"));
    assertEquals(0, Cli.run(args.toArray(new String[0])).exitCode());
    assertEquals(
        0,
        Cli.run("export", "--output", dir.toString(), "--set", "reduce.fit-epochs=0").exitCode());
    Cli.Result evaluate = Cli.run("evaluate", "--output", dir.toString());
    assertEquals(0, evaluate.exitCode(), evaluate.toString());

    TripleArrays test = TrainFixtures.triples(dir, "test");
    List<Integer> core = new ArrayList<>();
    List<Integer> periphery = new ArrayList<>();
    for (int i = 0; i < test.size(); i++) {
      (test.heads()[i] < placed.length || test.tails()[i] < placed.length ? periphery : core)
          .add(i);
    }
    assertTrue(
        !core.isEmpty() && !periphery.isEmpty(),
        core.size() + " core, " + periphery.size() + " periphery");
    ModelParameters params = exported(dir);
    TripleArrays known =
        TripleArrays.concat(
            TrainFixtures.triples(dir, "train"), TrainFixtures.triples(dir, "valid"), test);
    JsonNode byRegion = Files2.json(dir.resolve("metrics.json")).get("evaluation").get("by_region");
    for (String region : new String[] {"core", "periphery"}) {
      List<Integer> positions = region.equals("core") ? core : periphery;
      TripleArrays subset = test.select(positions.stream().mapToInt(Integer::intValue).toArray());
      EvaluationResult reference =
          LinkPredictionEvaluator.evaluate(params, subset, known, 0, 256, 1, Device.cpu());
      JsonNode figures = byRegion.get(region);
      assertEquals(positions.size(), figures.get("triples").asInt(), region);
      assertEquals(
          reference.realistic().mrr(), figures.get("mrr").asDouble(), 1e-12, region + " MRR");
      assertEquals(
          reference.realistic().hitsAt10(),
          figures.get("hits@10").asDouble(),
          0.0,
          region + " hits@10");
    }
    Cli.Result blockwise =
        Cli.run(
            "evaluate",
            "--output",
            dir.toString(),
            "--overwrite",
            "--set",
            "evaluate.broadcast-budget-bytes=1000");
    assertEquals(0, blockwise.exitCode(), blockwise.toString());
    assertEquals(
        byRegion,
        Files2.json(dir.resolve("metrics.json")).get("evaluation").get("by_region"),
        "the blockwise path splits the same way");
  }

  /**
   * Exported embeddings with one NaN row (written as export writes them, no training): evaluate
   * fails with exit 1 and one line naming the first query whose candidates score NaN, with entity
   * and relation names, on the broadcast and on the blockwise path; no metrics are written.
   */
  @Test
  void aNanEmbeddingFailsEvaluateWithOneLineNamingTheQuery() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("nan"), 2);
    SparkSession spark = SharedSpark.get();
    int dim = 8;
    Random random = new Random(5);
    List<Row> entities = spark.read().parquet(dir.resolve("entities").toString()).collectAsList();
    List<Row> relations = spark.read().parquet(dir.resolve("relations").toString()).collectAsList();
    List<Row> entityRows = new ArrayList<>();
    for (Row e : entities) {
      List<Float> v = new ArrayList<>();
      for (int i = 0; i < dim; i++)
        v.add(e.getInt(0) == 11 && i == 2 ? Float.NaN : random.nextFloat() * 2 - 1);
      entityRows.add(RowFactory.create(e.getInt(0), e.getString(1), v));
    }
    List<Row> relationRows = new ArrayList<>();
    for (Row r : relations) {
      List<Float> v = new ArrayList<>();
      for (int i = 0; i < dim; i++) v.add(random.nextFloat() * 2 - 1);
      relationRows.add(RowFactory.create(r.getInt(0), r.getString(1), v));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("name", DataTypes.StringType, false)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    OutputDirectory output =
        OutputDirectory.at(dir.toString(), spark.sparkContext().hadoopConfiguration());
    output.addDatasets(
        "export",
        Instant.now(),
        RunInfo.of(ConfigLoader.defaults(), spark.version()),
        List.of("entity_embeddings", "relation_embeddings", "model.json"),
        staging -> {
          spark.createDataFrame(entityRows, schema).write().parquet(staging + "/entity_embeddings");
          spark
              .createDataFrame(relationRows, schema)
              .write()
              .parquet(staging + "/relation_embeddings");
          try (OutputStream out =
              output.fileSystem().create(new org.apache.hadoop.fs.Path(staging, "model.json"))) {
            out.write(
                ("{\"model\": \"distmult\", \"dim\": " + dim + "}")
                    .getBytes(StandardCharsets.UTF_8));
          }
          return Map.of();
        });
    for (String budget : List.of("1g", "1000")) {
      Cli.Result evaluate =
          Cli.run(
              "evaluate",
              "--output",
              dir.toString(),
              "--set",
              "evaluate.broadcast-budget-bytes=" + budget);
      assertEquals(1, evaluate.exitCode(), evaluate.toString());
      // stderr also holds the timestamped progress log; the error is the one other line (no stack
      // trace)
      List<String> lines =
          evaluate.err().lines().filter(l -> !l.matches("\\d\\d:\\d\\d:\\d\\d .*")).toList();
      assertEquals(1, lines.size(), evaluate.err());
      String line = lines.get(0);
      assertTrue(
          line.matches(
              "evaluate: triples/test: non-finite scores: [0-9,]+ of 1,322 queries have a candidate "
                  + "scoring NaN or infinite, first the (tail query \\(\\d+ '[^']+', \\d+ '[^']+', \\?\\)|head query "
                  + "\\(\\?, \\d+ '[^']+', \\d+ '[^']+'\\)) with answer \\d+ '[^']+': candidate \\d+ '[^']+' scores NaN\\. .*"),
          line);
      assertFalse(Files.exists(dir.resolve("evaluation/per_relation")), "no metrics");
    }
  }

  /**
   * The exported Parquet embeddings as embedding-core parameters (tiny graph: collected in the
   * test).
   */
  static ModelParameters exported(Path dir) {
    List<Row> entities =
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("entity_embeddings").toString())
            .orderBy("id")
            .select("id", "embedding")
            .collectAsList();
    List<Row> relations =
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("relation_embeddings").toString())
            .orderBy("id")
            .select("id", "embedding")
            .collectAsList();
    int dim = entities.get(0).getList(1).size();
    int rd = relations.get(0).getList(1).size();
    float[] e = new float[entities.size() * dim];
    float[] r = new float[relations.size() * rd];
    for (Row row : entities)
      System.arraycopy(SharedParams.toFloats(row.getList(1)), 0, e, row.getInt(0) * dim, dim);
    for (Row row : relations)
      System.arraycopy(SharedParams.toFloats(row.getList(1)), 0, r, row.getInt(0) * rd, rd);
    return new ModelParameters(
        "complex",
        entities.size(),
        relations.size(),
        dim,
        rd,
        e,
        r,
        new float[entities.size()],
        new float[relations.size()],
        List.of());
  }
}
