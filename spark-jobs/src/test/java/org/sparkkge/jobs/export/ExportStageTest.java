package org.sparkkge.jobs.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Export of a TransE model trained without three entities: they are propagated as h + r / t - r, or,
 * with reciprocal relations, as h + r_forward / t + r_inverse.
 */
class ExportStageTest {
  private static final Set<Integer> LEFT_OUT = Set.of(0, 1, 2);
  @TempDir Path tmp;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"transe_l2", "transe_l2_reciprocal"})
  void exportsTrainedAndPropagatedEmbeddingsWithModelDescription(String modelName) throws Exception {
    boolean reciprocal = modelName.endsWith("_reciprocal");
    Path dir = TrainFixtures.umls(tmp.resolve("export-" + modelName), 2);
    TrainFixtures.partitionWithout(dir, 2, 0, 1, 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(1, 1.0));
    args.addAll(List.of("--set", "train.model=" + modelName, "--set", "train.dim=16", "--set", "train.loss=margin"));
    Cli.Result train = Cli.run(args.toArray(new String[0]));
    assertEquals(0, train.exitCode(), train.toString());
    Cli.Result export = Cli.run("export", "--output", dir.toString());
    assertEquals(0, export.exitCode(), export.toString());

    List<Row> rows = SharedSpark.get().read().parquet(dir.resolve("entity_embeddings").toString())
        .select("id", "name", "embedding", "core_number", "source", "distance").collectAsList();
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

    // entity 0 = mean over its edges to trained entities of (head + r) and (tail - r); reciprocal:
    // (head + r_forward) and (tail + r_inverse), the relation row being [r_forward | r_inverse]
    List<Row> relationRows = SharedSpark.get().read().parquet(dir.resolve("relation_embeddings").toString())
        .orderBy("id").collectAsList();
    assertEquals(46, relationRows.size());
    assertEquals(reciprocal ? 32 : 16, relationRows.get(0).getList(2).size(), "relation row width");
    TripleArrays train2 = TrainFixtures.triples(dir, "train");
    float[] sum = new float[16];
    int n = 0;
    for (int i = 0; i < train2.size(); i++) {
      int h = train2.heads()[i];
      int t = train2.tails()[i];
      float[] r = SharedParams.toFloats(relationRows.get(train2.relations()[i]).getList(2));
      if (t == 0 && !LEFT_OUT.contains(h)) {
        for (int j = 0; j < 16; j++) sum[j] += vectors.get(h)[j] + r[j];
        n++;
      } else if (h == 0 && !LEFT_OUT.contains(t)) {
        for (int j = 0; j < 16; j++) sum[j] += reciprocal ? vectors.get(t)[j] + r[16 + j] : vectors.get(t)[j] - r[j];
        n++;
      }
    }
    assertTrue(n > 0);
    for (int j = 0; j < 16; j++) {
      assertEquals(sum[j] / n, vectors.get(0)[j], 1e-5, "propagated component " + j);
    }

    JsonNode model = Files2.json(dir.resolve("model.json"));
    assertEquals(modelName, model.get("model").asText());
    assertEquals(reciprocal ? 32 : 16, model.get("relation_dim").asInt());
    assertEquals(reciprocal, model.get("scoring_function").asText().contains("head query (?, r, t) scores"));
    assertEquals(reciprocal, model.get("layout").asText().contains("inverse relation row"));
    assertEquals(16, model.get("dim").asInt());
    assertTrue(model.get("scoring_function").asText().contains("h_i + r_i - t_i"));
    assertTrue(model.get("layout").asText().contains("real vectors"));
    JsonNode metrics = Files2.json(dir.resolve("metrics.json"));
    assertEquals(3, metrics.get("export").get("entities_propagated").asInt());
    assertEquals(132, metrics.get("export").get("entities_trained").asInt());
    assertTrue(metrics.get("train").get("rounds").asInt() == 1);
    assertTrue(Files2.json(dir.resolve("_stages/export.json")).get("counts").has("propagation_layers"));
  }
}
