package org.sparkkge.jobs.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.train.SharedParams;
import org.sparkkge.jobs.train.TrainFixtures;

/**
 * The periphery fit (reduce.fit-epochs): UMLS trained without ten entities, exported with placement
 * only and then with the fit. The fit changes exactly the placed rows (trained rows and relations
 * bit for bit the same), trains on every training triple that touches a placed entity (once per
 * task that owns one of its ends) with about as many trained triples as context, lowers its loss,
 * and ranks the test triples that touch the placed entities better than placement alone without
 * ranking the core's worse.
 */
class PeripheryFitTest {
  private static final int[] PLACED = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  @TempDir Path tmp;

  @Test
  void fitEpochsTrainOnlyThePlacedRowsAndRankTheirTestTriplesBetter() throws Exception {
    Path placedOnly = TrainFixtures.umls(tmp.resolve("placed"), 2);
    TrainFixtures.partitionWithout(placedOnly, 2, PLACED);
    List<String> train = new ArrayList<>(List.of("train", "--output", placedOnly.toString()));
    train.addAll(TrainFixtures.umlsSettings(4, 1.0));
    train.addAll(List.of("--set", "train.model=complex_reciprocal", "--set", "train.dim=16"));
    Cli.Result trained = Cli.run(train.toArray(new String[0]));
    assertEquals(0, trained.exitCode(), trained.toString());
    Path fitted = tmp.resolve("fitted");
    TrainFixtures.copy(placedOnly, fitted);
    String[] model = {
      "--set",
      "train.model=complex_reciprocal",
      "--set",
      "train.dim=16",
      "--set",
      "train.seed=1",
      "--set",
      "train.batch-size=500",
      "--set",
      "train.chunk-size=50",
      "--set",
      "train.negatives=100",
      "--set",
      "train.batch-negatives=50",
      "--set",
      "train.lr=0.1"
    };
    List<String> placementArgs = new ArrayList<>(List.of(model));
    placementArgs.addAll(List.of("--set", "reduce.fit-epochs=0"));
    export(placedOnly, placementArgs.toArray(new String[0]));
    List<String> fitArgs = new ArrayList<>(List.of(model));
    fitArgs.addAll(List.of("--set", "reduce.fit-epochs=10"));
    export(fitted, fitArgs.toArray(new String[0]));

    Map<Integer, float[]> before = vectors(placedOnly);
    Map<Integer, float[]> after = vectors(fitted);
    assertEquals(135, after.size());
    for (Map.Entry<Integer, float[]> e : before.entrySet()) {
      if (isPlaced(e.getKey())) {
        assertFalse(
            Arrays.equals(e.getValue(), after.get(e.getKey())),
            "placed row " + e.getKey() + " fitted");
      } else {
        assertArrayEquals(
            e.getValue(), after.get(e.getKey()), "trained row " + e.getKey() + " frozen");
      }
    }
    assertEquals(relations(placedOnly), relations(fitted), "relations frozen");

    JsonNode fit = Files2.json(fitted.resolve("stats.json")).get("export").get("periphery_fit");
    assertEquals(10, fit.get("epochs").asInt());
    assertEquals(PLACED.length, fit.get("entities_fitted").asInt());
    TripleArrays edges = TrainFixtures.triples(fitted, "train");
    int tasks = fit.get("tasks").asInt();
    long expected = 0;
    for (int i = 0; i < edges.size(); i++) {
      int h = edges.heads()[i];
      int t = edges.tails()[i];
      if (isPlaced(h) && isPlaced(t) && PeripheryFit.taskOf(h, 2) != PeripheryFit.taskOf(t, 2)) {
        expected += 2;
      } else if (isPlaced(h) || isPlaced(t)) {
        expected += 1;
      }
    }
    assertEquals(2, tasks, "local[2]: one task per core, each owning some of the ten");
    assertEquals(
        expected,
        fit.get("triples_touching").asLong(),
        "every triple touching a placed entity, once per owning task");
    long context = fit.get("triples_trained_context").asLong();
    assertTrue(
        context > expected / 2 && context < expected * 2,
        "about as many trained triples as context: " + context);
    assertTrue(
        fit.get("mean_loss_last_epoch").asDouble() < fit.get("mean_loss_first_epoch").asDouble(),
        fit.toString());
    assertEquals(
        0,
        Files2.json(placedOnly.resolve("stats.json"))
            .get("export")
            .get("periphery_fit")
            .get("epochs")
            .asInt());
    assertTrue(
        Files2.json(fitted.resolve("model.json"))
            .get("periphery")
            .asText()
            .contains("fitted for 10 epoch(s)"));

    // filtered MRR of the test triples by region, ranked in-process (EvaluateStageTest checks that
    // evaluate's by_region agrees with this reference)
    TripleArrays test = TrainFixtures.triples(fitted, "test");
    TripleArrays known = TripleArrays.concat(edges, TrainFixtures.triples(fitted, "valid"), test);
    double[] mrrBefore = regionMrr(placedOnly, test, known);
    double[] mrrAfter = regionMrr(fitted, test, known);
    System.out.printf(
        "periphery fit on UMLS: all %.4f -> %.4f, core %.4f -> %.4f, periphery %.4f -> %.4f%n",
        mrrBefore[0], mrrAfter[0], mrrBefore[1], mrrAfter[1], mrrBefore[2], mrrAfter[2]);
    assertTrue(
        mrrAfter[2] > mrrBefore[2] + 0.05, "periphery " + mrrBefore[2] + " -> " + mrrAfter[2]);
    // the fitted rows must not crowd the trained answers out of the core's rankings
    assertTrue(mrrAfter[1] > mrrBefore[1] - 0.01, "core " + mrrBefore[1] + " -> " + mrrAfter[1]);
    assertTrue(mrrAfter[0] > mrrBefore[0], "all " + mrrBefore[0] + " -> " + mrrAfter[0]);

    // a fit whose tasks cannot hold their rows is refused before training, the earlier export left
    // in place
    List<String> tight =
        new ArrayList<>(List.of("export", "--output", fitted.toString(), "--overwrite"));
    tight.addAll(fitArgs);
    tight.addAll(List.of("--set", "train.memory.executor-bytes=16k"));
    Cli.Result refused = Cli.run(tight.toArray(new String[0]));
    assertEquals(1, refused.exitCode(), refused.toString());
    assertTrue(
        refused
            .err()
            .contains(
                "export: the periphery fit tasks (reduce.fit-epochs) do not fit in executor memory"),
        refused.toString());
    Matcher held = Pattern.compile("holds (\\d+) entity rows at dim 16").matcher(refused.err());
    assertTrue(held.find(), refused.err());
    assertTrue(
        Integer.parseInt(held.group(1)) >= fit.get("largest_task_rows").asInt(), refused.err());
    assertTrue(refused.err().contains("reduce.fit-epochs = 0 (placement only)"), refused.err());
    assertTrue(fit.get("memory_estimate_bytes_per_task").asLong() > 0, fit.toString());
    Map<Integer, float[]> kept = vectors(fitted);
    after.forEach(
        (id, v) -> assertArrayEquals(v, kept.get(id), "row " + id + " of the earlier export"));
  }

  /**
   * Filtered MRR of all test triples, of those with both ends trained, and of those touching a
   * placed one.
   */
  private static double[] regionMrr(Path dir, TripleArrays test, TripleArrays known) {
    ModelParameters params = exported(dir);
    List<Integer> core = new ArrayList<>();
    List<Integer> periphery = new ArrayList<>();
    for (int i = 0; i < test.size(); i++) {
      (isPlaced(test.heads()[i]) || isPlaced(test.tails()[i]) ? periphery : core).add(i);
    }
    double[] mrr = new double[3];
    mrr[0] = mrr(params, test, known);
    mrr[1] = mrr(params, test.select(core.stream().mapToInt(Integer::intValue).toArray()), known);
    mrr[2] =
        mrr(params, test.select(periphery.stream().mapToInt(Integer::intValue).toArray()), known);
    return mrr;
  }

  private static double mrr(ModelParameters params, TripleArrays test, TripleArrays known) {
    return LinkPredictionEvaluator.evaluate(params, test, known, 0, 256, 1, Device.cpu())
        .realistic()
        .mrr();
  }

  private static ModelParameters exported(Path dir) {
    Map<Integer, float[]> entities = vectors(dir);
    List<List<Object>> relations = relations(dir);
    int dim = entities.get(0).length;
    int rd = relations.get(0).size();
    float[] e = new float[entities.size() * dim];
    float[] r = new float[relations.size() * rd];
    entities.forEach((id, v) -> System.arraycopy(v, 0, e, id * dim, dim));
    for (int i = 0; i < relations.size(); i++) {
      System.arraycopy(SharedParams.toFloats(relations.get(i)), 0, r, i * rd, rd);
    }
    return new ModelParameters(
        "complex_reciprocal",
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

  private static boolean isPlaced(int id) {
    return id < PLACED.length;
  }

  private static void export(Path dir, String[] settings) {
    List<String> export = new ArrayList<>(List.of("export", "--output", dir.toString()));
    export.addAll(List.of(settings));
    Cli.Result exported = Cli.run(export.toArray(new String[0]));
    assertEquals(0, exported.exitCode(), exported.toString());
  }

  private static Map<Integer, float[]> vectors(Path dir) {
    Map<Integer, float[]> out = new HashMap<>();
    for (Row row :
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("entity_embeddings").toString())
            .select("id", "embedding")
            .collectAsList()) {
      out.put(row.getInt(0), SharedParams.toFloats(row.getList(1)));
    }
    return out;
  }

  private static List<List<Object>> relations(Path dir) {
    List<List<Object>> out = new ArrayList<>();
    for (Row row :
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("relation_embeddings").toString())
            .orderBy("id")
            .select("embedding")
            .collectAsList()) {
      out.add(row.getList(0));
    }
    return out;
  }
}
