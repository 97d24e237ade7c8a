package org.sparkkge.jobs.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;

/**
 * evaluate.unseen on a small graph: test and valid triples with an entity or relation that is not
 * in train are left out of ranking (drop, the default) or ranked (rank), and counted either way, in
 * the evaluate stage (metrics.json) and in training's per-round validation (stats.json
 * train.validation).
 */
class UnseenTriplesTest {
  @TempDir Path tmp;

  /** Ten entities n0..n9, relations r (i -> i+1) and s (i -> i+2), around a ring: 20 triples. */
  private static String train() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      text.append("n").append(i).append("\tr\tn").append((i + 1) % 10).append('\n');
      text.append("n").append(i).append("\ts\tn").append((i + 2) % 10).append('\n');
    }
    return text.toString();
  }

  /** n0 s n3 is rankable; v is an entity that is not in train. */
  private static final String VALID = "n0\ts\tn3\nv\tr\tn1\n";

  /** Two rankable triples, then x (entity not in train) and t (relation not in train). */
  private static final String TEST = "n1\ts\tn4\nn2\tr\tn4\nx\tr\tn3\nn5\tt\tn6\n";

  private static List<String> tinyTraining() {
    return List.of(
        "--set",
        "train.model=complex",
        "--set",
        "train.dim=8",
        "--set",
        "train.batch-size=4",
        "--set",
        "train.chunk-size=2",
        "--set",
        "train.negatives=4",
        "--set",
        "train.batch-negatives=0",
        "--set",
        "train.epochs=2",
        "--set",
        "train.round-fraction=1.0",
        "--set",
        "train.seed=3",
        "--set",
        "train.validation.max-triples=0");
  }

  /** Queries per relation name in metrics.json's per_relation. */
  private static Map<String, Integer> queriesPerRelation(JsonNode evaluation) {
    Map<String, Integer> queries = new TreeMap<>();
    evaluation
        .get("per_relation")
        .fields()
        .forEachRemaining(e -> queries.put(e.getKey(), e.getValue().get("queries").asInt()));
    return queries;
  }

  @Test
  void dropLeavesUnseenTriplesOutAndRankRanksThem() {
    Path dir = tmp.resolve("run");
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--output",
                dir.toString(),
                "--train",
                Files2.write(tmp.resolve("train.tsv"), train()).toString(),
                "--valid",
                Files2.write(tmp.resolve("valid.tsv"), VALID).toString(),
                "--test",
                Files2.write(tmp.resolve("test.tsv"), TEST).toString(),
                "--set",
                "tokenize.anchors=3",
                "--set",
                "tokenize.k=2",
                "--set",
                "tokenize.m=2",
                "--set",
                "partition.shards=1"));
    args.addAll(tinyTraining());
    Cli.Result run = Cli.run(args.toArray(String[]::new));
    assertEquals(0, run.exitCode(), run.toString());

    JsonNode ingest = Files2.json(dir.resolve("stats.json")).get("unseen_triples");
    assertEquals(1, ingest.get("valid_triples").asLong());
    assertEquals(2, ingest.get("test_triples").asLong());

    // drop (default): only n1 s n4 and n2 r n4 are ranked, in both directions
    JsonNode dropped = Files2.json(dir.resolve("metrics.json")).get("evaluation");
    assertEquals("drop", dropped.get("unseen_policy").asText());
    assertEquals(2, dropped.get("unseen_triples_dropped").asLong());
    assertEquals(0, dropped.get("unseen_triples_ranked").asLong());
    assertEquals(4, dropped.get("filtered_queries").asInt());
    assertEquals(Map.of("r", 2, "s", 2), queriesPerRelation(dropped));
    assertEquals(
        2,
        Files2.json(dir.resolve("stats.json"))
            .get("evaluate")
            .get("unseen_triples_dropped")
            .asLong());
    assertTrue(
        run.out()
            .contains(
                "evaluate: 2 test triples with an entity or relation not in train left out of ranking "
                    + "(evaluate.unseen = drop)"),
        run.toString());
    // training's validation ranked n0 s n3 only
    JsonNode validation = Files2.json(dir.resolve("stats.json")).get("train").get("validation");
    assertEquals(1, validation.get("triples").asLong(), validation.toString());
    assertEquals("drop", validation.get("unseen_policy").asText());
    assertEquals(1, validation.get("unseen_triples_dropped").asLong());
    assertEquals(0, validation.get("unseen_triples_ranked").asLong());

    // rank: all four test triples, x r n3 and n5 t n6 included
    Cli.Result rank =
        Cli.run(
            "evaluate", "--output", dir.toString(), "--overwrite", "--set", "evaluate.unseen=rank");
    assertEquals(0, rank.exitCode(), rank.toString());
    JsonNode ranked = Files2.json(dir.resolve("metrics.json")).get("evaluation");
    assertEquals("rank", ranked.get("unseen_policy").asText());
    assertEquals(0, ranked.get("unseen_triples_dropped").asLong());
    assertEquals(2, ranked.get("unseen_triples_ranked").asLong());
    assertEquals(8, ranked.get("filtered_queries").asInt());
    assertEquals(Map.of("r", 4, "s", 2, "t", 2), queriesPerRelation(ranked));

    List<String> train =
        new ArrayList<>(
            List.of(
                "train",
                "--output",
                dir.toString(),
                "--overwrite",
                "--set",
                "evaluate.unseen=rank"));
    train.addAll(tinyTraining());
    Cli.Result retrain = Cli.run(train.toArray(String[]::new));
    assertEquals(0, retrain.exitCode(), retrain.toString());
    JsonNode rankedValidation =
        Files2.json(dir.resolve("stats.json")).get("train").get("validation");
    assertEquals(2, rankedValidation.get("triples").asLong(), rankedValidation.toString());
    assertEquals("rank", rankedValidation.get("unseen_policy").asText());
    assertEquals(0, rankedValidation.get("unseen_triples_dropped").asLong());
    assertEquals(1, rankedValidation.get("unseen_triples_ranked").asLong());
  }
}
