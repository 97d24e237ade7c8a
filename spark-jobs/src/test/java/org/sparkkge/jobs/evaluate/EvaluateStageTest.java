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
    // one ranking task per block, on this machine's CPU
    assertEquals(4, blockStats.get("ranking_devices").get("cpu()").asInt(), blockStats.toString());
    assertEquals(1, blockStats.get("ranking_devices").size(), blockStats.toString());
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
   * Entities added after training: new_0 and new_1 take the training edges of entities 0 and 1
   * under new names (export.new-triples), and evaluate.new-entity-test ranks the test triples of 0
   * and 1 under the new names, plus one test triple between known entities. metrics.json's
   * new_entity_test equals the single-process evaluator over the known and the added rows, filtered
   * by every known triple, the new triples and the file; by_region counts the triples touching an
   * added entity.
   */
  @Test
  void testTriplesAboutEntitiesAddedAfterTrainingAreRankedAsTheEvaluatorRanksThem()
      throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("added"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(1, 1.0));
    // the default's three passes: one epoch in one pass leaves the placed entities near random
    args.addAll(List.of("--set", "train.dim=16", "--set", "train.bucket-slices=0"));
    assertEquals(0, Cli.run(args.toArray(new String[0])).exitCode());
    List<String> entityNames = TrainFixtures.names(dir, "entities");
    List<String> relationNames = TrainFixtures.names(dir, "relations");
    TripleArrays train = TrainFixtures.triples(dir, "train");
    TripleArrays valid = TrainFixtures.triples(dir, "valid");
    TripleArrays test = TrainFixtures.triples(dir, "test");
    int known = entityNames.size();
    // entity e < 2 of the original graph is new_e, id known + e (new names are numbered in order)
    TripleArrays newTriples = renamed(train, known);
    TripleArrays newTest = renamed(test, known);
    int[] heads = java.util.Arrays.copyOf(newTest.heads(), newTest.size() + 1);
    int[] relations = java.util.Arrays.copyOf(newTest.relations(), newTest.size() + 1);
    int[] tails = java.util.Arrays.copyOf(newTest.tails(), newTest.size() + 1);
    for (int i = 0; i < test.size(); i++) {
      if (test.heads()[i] >= 2 && test.tails()[i] >= 2) {
        heads[newTest.size()] = test.heads()[i];
        relations[newTest.size()] = test.relations()[i];
        tails[newTest.size()] = test.tails()[i];
        break;
      }
    }
    newTest = new TripleArrays(heads, relations, tails);
    Path newTriplesFile =
        Files2.write(tmp.resolve("added.tsv"), tsv(newTriples, entityNames, relationNames, known));
    Path newTestFile =
        Files2.write(
            tmp.resolve("added-test.tsv"), tsv(newTest, entityNames, relationNames, known));
    Cli.Result export =
        Cli.run(
            "export",
            "--output",
            dir.toString(),
            "--set",
            "reduce.fit-epochs=0",
            "--set",
            "export.new-triples=" + newTriplesFile);
    assertEquals(0, export.exitCode(), export.toString());
    // export wrote the new triples as ids; evaluate filters by them without export.new-triples
    assertEquals(
        tripleSet(newTriples),
        tripleSet(TrainFixtures.triples(dir, "new")),
        "triples/new holds export.new-triples as ids");
    Cli.Result evaluate =
        Cli.run(
            "evaluate",
            "--output",
            dir.toString(),
            "--set",
            "evaluate.new-entity-test=" + newTestFile);
    assertEquals(0, evaluate.exitCode(), evaluate.toString());
    assertTrue(
        evaluate.out().contains("touching one of 2 entities added after training"), evaluate.out());

    ModelParameters params = exported(dir, true);
    assertEquals(known + 2, params.numEntities());
    TripleArrays filter = TripleArrays.concat(train, valid, test, newTriples, newTest);
    EvaluationResult reference =
        LinkPredictionEvaluator.evaluate(params, newTest, filter, 0, 256, 1, Device.cpu());
    JsonNode figures =
        Files2.json(dir.resolve("metrics.json")).get("evaluation").get("new_entity_test");
    assertEquals(newTest.size(), figures.get("triples").asInt());
    assertEquals(2, figures.get("new_entities").asInt());
    assertEquals(newTest.size() - 1, figures.get("triples_touching_new_entities").asInt());
    assertEquals(1, figures.get("by_region").get("known").get("triples").asInt());
    assertEquals(reference.realistic().mrr(), figures.get("filtered_mrr").asDouble(), 1e-12);
    assertEquals(reference.realistic().meanRank(), figures.get("filtered_mr").asDouble(), 0.0);
    assertEquals(reference.realistic().hitsAt10(), figures.get("filtered_hits@10").asDouble(), 0.0);
    assertTrue(
        figures.get("filtered_mrr").asDouble() > 0.1,
        "placed from their edges, the new entities rank far above random (about 0.04): "
            + figures.get("filtered_mrr"));

    // a line that is not a triple, and a name that has no embedding: exit 1 naming the cause
    String first =
        tsv(newTest, entityNames, relationNames, known).lines().findFirst().orElseThrow();
    Map<String, String> badFiles =
        Map.of(
            "bad-line.tsv",
            first + "\nnew_0\t" + relationNames.get(0) + "\n",
            "unknown.tsv",
            first + "\nnobody\t" + relationNames.get(0) + "\tnew_0\n");
    Map<String, String> expected =
        Map.of(
            "bad-line.tsv",
            "bad-line.tsv:2: expected 3 fields, found 2",
            "unknown.tsv",
            "entity 'nobody' has no embedding (neither in entity_embeddings nor in new_entity_embeddings)");
    for (Map.Entry<String, String> bad : badFiles.entrySet()) {
      Path file = Files2.write(tmp.resolve(bad.getKey()), bad.getValue());
      Cli.Result failed =
          Cli.run(
              "evaluate",
              "--output",
              dir.toString(),
              "--overwrite",
              "--set",
              "evaluate.new-entity-test=" + file);
      assertEquals(1, failed.exitCode(), failed.toString());
      assertTrue(failed.err().contains(expected.get(bad.getKey())), failed.err());
    }
  }

  private static java.util.Set<String> tripleSet(TripleArrays triples) {
    java.util.Set<String> set = new java.util.HashSet<>();
    for (int i = 0; i < triples.size(); i++) {
      set.add(triples.heads()[i] + " " + triples.relations()[i] + " " + triples.tails()[i]);
    }
    return set;
  }

  /** The triples touching entity 0 or 1, with those renamed to new ids known + 0 and known + 1. */
  private static TripleArrays renamed(TripleArrays triples, int known) {
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < triples.size(); i++) {
      if (triples.heads()[i] < 2 || triples.tails()[i] < 2) positions.add(i);
    }
    TripleArrays selected = triples.select(positions.stream().mapToInt(i -> i).toArray());
    int[] heads = selected.heads().clone();
    int[] tails = selected.tails().clone();
    for (int i = 0; i < heads.length; i++) {
      if (heads[i] < 2) heads[i] += known;
      if (tails[i] < 2) tails[i] += known;
    }
    return new TripleArrays(heads, selected.relations(), tails);
  }

  private static String tsv(
      TripleArrays triples, List<String> entities, List<String> relations, int known) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < triples.size(); i++) {
      int h = triples.heads()[i];
      int t = triples.tails()[i];
      out.append(h >= known ? "new_" + (h - known) : entities.get(h))
          .append('\t')
          .append(relations.get(triples.relations()[i]))
          .append('\t')
          .append(t >= known ? "new_" + (t - known) : entities.get(t))
          .append('\n');
    }
    return out.toString();
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
        List.of(),
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
    return exported(dir, false);
  }

  /** The same, with new_entity_embeddings' rows after the known ones when {@code added}. */
  static ModelParameters exported(Path dir, boolean added) {
    var table = SharedSpark.get().read().parquet(dir.resolve("entity_embeddings").toString());
    if (added) {
      table =
          table
              .select("id", "embedding")
              .union(
                  SharedSpark.get()
                      .read()
                      .parquet(dir.resolve("new_entity_embeddings").toString())
                      .select("id", "embedding"));
    }
    List<Row> entities = table.orderBy("id").select("id", "embedding").collectAsList();
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
