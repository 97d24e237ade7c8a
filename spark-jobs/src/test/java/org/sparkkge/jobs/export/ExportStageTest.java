package org.sparkkge.jobs.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkkge.jobs.export.PropagationTest.dot;
import static org.sparkkge.jobs.export.PropagationTest.norm;
import static org.sparkkge.jobs.export.PropagationTest.unit;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.train.SharedParams;
import org.sparkkge.jobs.train.TrainFixtures;

/**
 * Export of a model trained without three entities: TransE propagates them as h + r / t - r, or,
 * with reciprocal relations, as h + r_forward / t + r_inverse, averaged over the edges; ComplEx as
 * the direction of the summed unit query vectors (h o r_forward, and conj(r) o t or t o r_inverse),
 * as long as the trained answers are along their unit query vectors on average over the trained
 * triples.
 */
class ExportStageTest {
  private static final Set<Integer> LEFT_OUT = Set.of(0, 1, 2);
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"transe_l2", "complex_reciprocal"})
  void exportsTrainedAndPropagatedEmbeddingsWithModelDescription(String modelName)
      throws Exception {
    boolean reciprocal = modelName.endsWith("_reciprocal");
    boolean complex = modelName.startsWith("complex");
    Path dir = TrainFixtures.umls(tmp.resolve("export-" + modelName), 2);
    TrainFixtures.partitionWithout(dir, 2, 0, 1, 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(1, 1.0));
    args.addAll(
        List.of(
            "--set",
            "train.model=" + modelName,
            "--set",
            "train.dim=16",
            "--set",
            "train.loss=margin"));
    Cli.Result train = Cli.run(args.toArray(new String[0]));
    assertEquals(0, train.exitCode(), train.toString());
    // the trained table holds the entities of the triples trained on: none of the three left out
    List<Integer> tableIds =
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("model/final/entities").toString())
            .select("id")
            .as(Encoders.INT())
            .collectAsList();
    assertEquals(135 - LEFT_OUT.size(), tableIds.size());
    assertTrue(tableIds.stream().noneMatch(LEFT_OUT::contains), tableIds.toString());
    assertEquals(
        135 - LEFT_OUT.size(),
        Files2.json(dir.resolve("stats.json")).get("train").get("entity_table_rows").asInt());
    // placement alone: the estimates below are what export places before any fit
    Cli.Result export =
        Cli.run("export", "--output", dir.toString(), "--set", "reduce.fit-epochs=0");
    assertEquals(0, export.exitCode(), export.toString());

    List<Row> rows =
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("entity_embeddings").toString())
            .select("id", "name", "embedding", "core_number", "source", "distance")
            .collectAsList();
    assertEquals(135, rows.size(), "every UMLS entity");
    Map<Integer, float[]> vectors = new HashMap<>();
    for (Row row : rows) {
      int id = row.getInt(0);
      vectors.put(id, SharedParams.toFloats(row.getList(2)));
      assertEquals(16, row.getList(2).size());
      assertTrue(row.isNullAt(3), "no reduce stage ran: core_number is null");
      boolean left = LEFT_OUT.contains(id);
      assertEquals(left ? "propagated" : "trained", row.getString(4), "source of " + id);
      assertEquals(left ? 1 : 0, row.getInt(5), "distance of " + id);
    }

    // entity 0 from its edges to trained entities; the relation row is [r_forward | r_inverse] when
    // reciprocal
    List<Row> relationRows =
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("relation_embeddings").toString())
            .orderBy("id")
            .collectAsList();
    assertEquals(46, relationRows.size());
    assertEquals(reciprocal ? 32 : 16, relationRows.get(0).getList(2).size(), "relation row width");
    TripleArrays train2 = TrainFixtures.triples(dir, "train");
    float[] sum = new float[16];
    int n = 0;
    for (int i = 0; i < train2.size(); i++) {
      int h = train2.heads()[i];
      int t = train2.tails()[i];
      float[] r = SharedParams.toFloats(relationRows.get(train2.relations()[i]).getList(2));
      float[] estimate = null;
      if (t == 0 && !LEFT_OUT.contains(h)) {
        estimate =
            complex
                ? unit(complexProduct(vectors.get(h), r, 0, false))
                : add(vectors.get(h), r, 0, 1);
      } else if (h == 0 && !LEFT_OUT.contains(t)) {
        estimate =
            complex
                ? unit(
                    reciprocal
                        ? complexProduct(vectors.get(t), r, 16, false)
                        : complexProduct(vectors.get(t), r, 0, true))
                : reciprocal ? add(vectors.get(t), r, 16, 1) : add(vectors.get(t), r, 0, -1);
      }
      if (estimate != null) {
        for (int j = 0; j < 16; j++) sum[j] += estimate[j];
        n++;
      }
    }
    assertTrue(n > 0);
    // the placed length: mean over trained triples of the answers' lengths along their unit query
    // vectors
    double projections = 0;
    int trainedTriples = 0;
    for (int i = 0; i < train2.size(); i++) {
      int h = train2.heads()[i];
      int t = train2.tails()[i];
      if (complex && !LEFT_OUT.contains(h) && !LEFT_OUT.contains(t)) {
        float[] r = SharedParams.toFloats(relationRows.get(train2.relations()[i]).getList(2));
        float[] tailQuery = unit(complexProduct(vectors.get(h), r, 0, false));
        float[] headQuery =
            unit(
                reciprocal
                    ? complexProduct(vectors.get(t), r, 16, false)
                    : complexProduct(vectors.get(t), r, 0, true));
        projections += (dot(tailQuery, vectors.get(t)) + dot(headQuery, vectors.get(h))) / 2;
        trainedTriples++;
      }
    }
    double placedLength = complex ? projections / trainedTriples : 0;
    double length = norm(sum);
    for (int j = 0; j < 16; j++) {
      double expected = complex ? sum[j] / length * placedLength : sum[j] / n;
      assertEquals(expected, vectors.get(0)[j], 1e-5, "propagated component " + j);
    }
    if (complex) {
      assertTrue(placedLength > 0, "trained answers point along their queries: " + placedLength);
      assertEquals(placedLength, norm(vectors.get(0)), 1e-4, "the placed row's length");
    }

    JsonNode model = Files2.json(dir.resolve("model.json"));
    assertEquals(modelName, model.get("model").asText());
    assertEquals(reciprocal ? 32 : 16, model.get("relation_dim").asInt());
    assertEquals(
        reciprocal, model.get("scoring_function").asText().contains("head query (?, r, t) scores"));
    assertEquals(reciprocal, model.get("layout").asText().contains("inverse relation row"));
    assertEquals(16, model.get("dim").asInt());
    assertEquals(!complex, model.get("scoring_function").asText().contains("h_i + r_i - t_i"));
    assertEquals(!complex, model.get("layout").asText().contains("real vectors"));
    assertEquals(
        complex,
        model.get("periphery").asText().startsWith("ComplEx"),
        model.get("periphery").asText());
    JsonNode metrics = Files2.json(dir.resolve("metrics.json"));
    assertEquals(3, metrics.get("export").get("entities_propagated").asInt());
    assertEquals(132, metrics.get("export").get("entities_trained").asInt());
    assertTrue(metrics.get("train").get("rounds").asInt() == 1);
    assertTrue(
        Files2.json(dir.resolve("_stages/export.json")).get("counts").has("propagation_layers"));

    // entities added after training (export.new-triples): new_0 gets entity 3's edges, new_1 hangs
    // off new_0 alone, new_2 and new_3 know only each other
    List<String> entityNames = TrainFixtures.names(dir, "entities");
    List<String> relationNames = TrainFixtures.names(dir, "relations");
    StringBuilder tsv = new StringBuilder();
    float[] newSum = new float[16];
    int newEdges = 0;
    for (int i = 0; i < train2.size(); i++) {
      int h = train2.heads()[i];
      int t = train2.tails()[i];
      if ((h == 3) == (t == 3)) continue;
      float[] r = SharedParams.toFloats(relationRows.get(train2.relations()[i]).getList(2));
      boolean knownIsHead = t == 3;
      float[] estimate =
          estimate(vectors.get(knownIsHead ? h : t), r, knownIsHead, complex, reciprocal);
      for (int j = 0; j < 16; j++) newSum[j] += estimate[j];
      newEdges++;
      tsv.append(h == 3 ? "new_0" : entityNames.get(h))
          .append('\t')
          .append(relationNames.get(train2.relations()[i]))
          .append('\t')
          .append(t == 3 ? "new_0" : entityNames.get(t))
          .append('\n');
    }
    tsv.append("new_0\t").append(relationNames.get(5)).append("\tnew_1\n");
    tsv.append("new_2\t").append(relationNames.get(5)).append("\tnew_3\n");
    Path added = Files2.write(tmp.resolve("added-" + modelName + ".tsv"), tsv.toString());
    Cli.Result exportNew =
        Cli.run(
            "export",
            "--output",
            dir.toString(),
            "--overwrite",
            "--set",
            "reduce.fit-epochs=0",
            "--set",
            "export.new-triples=" + added);
    assertEquals(0, exportNew.exitCode(), exportNew.toString());
    Map<String, Row> fresh = new HashMap<>();
    for (Row row :
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("new_entity_embeddings").toString())
            .select("id", "name", "embedding", "core_number", "source", "distance")
            .collectAsList()) {
      fresh.put(row.getString(1), row);
    }
    assertEquals(Set.of("new_0", "new_1", "new_2", "new_3"), fresh.keySet());
    for (int k = 0; k < 4; k++) {
      Row row = fresh.get("new_" + k);
      assertEquals(135 + k, row.getInt(0), "new ids follow the known ones in name order");
      assertEquals("propagated", row.getString(4));
    }
    float[] new0 = combine(newSum, newEdges, complex, placedLength);
    float[] new1 =
        combine(
            estimate(
                new0,
                SharedParams.toFloats(relationRows.get(5).getList(2)),
                true,
                complex,
                reciprocal),
            1,
            complex,
            placedLength);
    float[] trainedMean = new float[16];
    for (Map.Entry<Integer, float[]> e : vectors.entrySet()) {
      if (LEFT_OUT.contains(e.getKey())) continue;
      for (int j = 0; j < 16; j++) trainedMean[j] += e.getValue()[j] / (135 - LEFT_OUT.size());
    }
    float[][] expected = {new0, new1, trainedMean, trainedMean};
    int[] distances = {1, 2, -1, -1};
    for (int k = 0; k < 4; k++) {
      Row row = fresh.get("new_" + k);
      assertEquals(distances[k], row.getInt(5), "distance of new_" + k);
      float[] v = SharedParams.toFloats(row.getList(2));
      for (int j = 0; j < 16; j++) {
        assertEquals(expected[k][j], v[j], 1e-5, "new_" + k + " component " + j);
      }
    }
    JsonNode exportStats = Files2.json(dir.resolve("metrics.json")).get("export");
    assertEquals(4, exportStats.get("new_entities").asInt());
    assertEquals(2, exportStats.get("new_entities_unreachable_mean_vector").asInt());
    assertEquals(135, exportStats.get("entities_trained").asInt() + 3, "known rows unchanged");
    assertTrue(
        Files2.json(dir.resolve("model.json"))
            .get("new_entity_embeddings")
            .asText()
            .contains("placed"));
    assertTrue(Files.isDirectory(dir.resolve("triples/new")));

    // exported again without new triples: the earlier run's new entities and triples go with it
    Cli.Result exportAgain =
        Cli.run(
            "export", "--output", dir.toString(), "--overwrite", "--set", "reduce.fit-epochs=0");
    assertEquals(0, exportAgain.exitCode(), exportAgain.toString());
    assertFalse(Files.exists(dir.resolve("new_entity_embeddings")), "stale new entities removed");
    assertFalse(Files.exists(dir.resolve("triples/new")), "stale new triples removed");
    assertFalse(Files2.json(dir.resolve("model.json")).has("new_entity_embeddings"));
    assertTrue(Files.isDirectory(dir.resolve("entity_embeddings")));
  }

  /** The unknown end's estimate over one edge, as the test above computes entity 0's. */
  private static float[] estimate(
      float[] known, float[] r, boolean knownIsHead, boolean complex, boolean reciprocal) {
    if (knownIsHead) {
      return complex ? unit(complexProduct(known, r, 0, false)) : add(known, r, 0, 1);
    }
    if (complex) {
      return unit(
          reciprocal ? complexProduct(known, r, 16, false) : complexProduct(known, r, 0, true));
    }
    return reciprocal ? add(known, r, 16, 1) : add(known, r, 0, -1);
  }

  /** Mean of the estimates (TransE) or their sum's direction at the placed length (ComplEx). */
  private static float[] combine(float[] sum, int n, boolean complex, double placedLength) {
    double length = norm(sum);
    float[] out = new float[16];
    for (int j = 0; j < 16; j++) {
      out[j] = (float) (complex ? sum[j] / length * placedLength : sum[j] / n);
    }
    return out;
  }

  /** known[0..16) + sign * r[offset..offset+16). */
  private static float[] add(float[] known, float[] r, int offset, int sign) {
    float[] out = new float[16];
    for (int j = 0; j < 16; j++) out[j] = known[j] + sign * r[offset + j];
    return out;
  }

  /**
   * Complex product known o r (or conj(r) o known) over 8 complex dimensions, rows [real |
   * imaginary].
   */
  private static float[] complexProduct(
      float[] known, float[] r, int offset, boolean conjugateRelation) {
    float[] out = new float[16];
    for (int k = 0; k < 8; k++) {
      float a = known[k];
      float b = known[8 + k];
      float c = r[offset + k];
      float d = conjugateRelation ? -r[offset + 8 + k] : r[offset + 8 + k];
      out[k] = a * c - b * d;
      out[8 + k] = b * c + a * d;
    }
    return out;
  }
}
