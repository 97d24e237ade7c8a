package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What ingest finds in valid/test: triples that also occur in train (ingest.leakage = warn, drop,
 * fail) and entities and relations that never occur in train (stats.json unseen_*).
 */
class HeldOutChecksTest {
  @TempDir Path tmp;

  static final String TRAIN = "a\tr\tb\nb\tr\tc\nc\ts\ta\n";

  /** Line 1: unseen entity d; line 2: a training triple. */
  static final String VALID = "d\tr\ta\na\tr\tb\n";

  /**
   * Line 2 (and 5 again): a training triple; 3: unseen relation t; 4: unseen entities e, f and
   * relation u.
   */
  static final String TEST = "c\tr\ta\nb\tr\tc\na\tt\tc\ne\tu\tf\nb\tr\tc\n";

  private Path valid;

  private Cli.Result ingest(String... extra) {
    Path train = Files2.write(tmp.resolve("train.tsv"), TRAIN);
    valid = Files2.write(tmp.resolve("valid.tsv"), VALID);
    Path test = Files2.write(tmp.resolve("test.tsv"), TEST);
    List<String> args =
        new ArrayList<>(
            List.of(
                "ingest",
                "--train",
                train.toString(),
                "--valid",
                valid.toString(),
                "--test",
                test.toString(),
                "--output",
                tmp.resolve("out").toString()));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  private JsonNode stats() {
    return Files2.json(tmp.resolve("out/stats.json"));
  }

  /** Decoded triples of a split as "head relation tail", sorted. */
  private List<String> triples(String split) {
    SparkSession spark = SharedSpark.get();
    Path out = tmp.resolve("out");
    spark.read().parquet(out.resolve("entities").toString()).createOrReplaceTempView("e");
    spark.read().parquet(out.resolve("relations").toString()).createOrReplaceTempView("r");
    spark.read().parquet(out.resolve("triples/" + split).toString()).createOrReplaceTempView("t");
    return spark
        .sql(
            "SELECT concat(h.name, ' ', r.name, ' ', x.name) FROM t JOIN e h ON t.head = h.id "
                + "JOIN r ON t.relation = r.id JOIN e x ON t.tail = x.id")
        .collectAsList()
        .stream()
        .map(row -> row.getString(0))
        .sorted()
        .collect(Collectors.toList());
  }

  @Test
  void leakageWarnKeepsAndCounts() {
    Cli.Result result = ingest();
    assertEquals(0, result.exitCode(), result.toString());
    assertTrue(
        result
            .out()
            .contains(
                "ingest: warning: 2 valid/test triples also occur in train (valid 1, test 1): kept (ingest.leakage = warn)\n"),
        result.toString());
    JsonNode stats = stats();
    JsonNode leakage = stats.get("leakage");
    assertEquals("warn", leakage.get("policy").asText());
    assertEquals(1, leakage.get("valid_triples").asLong());
    assertEquals(1, leakage.get("test_triples").asLong());
    JsonNode test = stats.get("splits").get("test");
    assertEquals(5, test.get("triples_read").asLong());
    assertEquals(1, test.get("duplicates_removed").asLong());
    assertEquals(0, test.get("leaked_triples_removed").asLong());
    assertEquals(4, test.get("triples").asLong());
    assertFalse(stats.get("splits").get("train").has("leaked_triples_removed"));
    assertEquals(List.of("a r b", "d r a"), triples("valid"));
    assertEquals(List.of("a t c", "b r c", "c r a", "e u f"), triples("test"));
  }

  @Test
  void leakageDropRemovesFromValidAndTest() {
    Cli.Result result = ingest("--set", "ingest.leakage=drop");
    assertEquals(0, result.exitCode(), result.toString());
    assertTrue(
        result
            .out()
            .contains(
                "ingest: 2 valid/test triples also occur in train (valid 1, test 1): removed from valid/test (ingest.leakage = drop)\n"),
        result.toString());
    JsonNode stats = stats();
    assertEquals("drop", stats.get("leakage").get("policy").asText());
    assertEquals(1, stats.get("leakage").get("test_triples").asLong());
    JsonNode test = stats.get("splits").get("test");
    assertEquals(5, test.get("triples_read").asLong());
    assertEquals(1, test.get("duplicates_removed").asLong());
    assertEquals(1, test.get("leaked_triples_removed").asLong());
    assertEquals(3, test.get("triples").asLong());
    JsonNode validStats = stats.get("splits").get("valid");
    assertEquals(0, validStats.get("duplicates_removed").asLong());
    assertEquals(1, validStats.get("leaked_triples_removed").asLong());
    assertEquals(1, validStats.get("triples").asLong());
    assertEquals(List.of("d r a"), triples("valid"));
    assertEquals(List.of("a t c", "c r a", "e u f"), triples("test"));
    assertEquals(List.of("a r b", "b r c", "c s a"), triples("train"), "train is never changed");
    assertEquals(6, stats.get("entities").asLong(), "the dictionaries keep every entity");
  }

  @Test
  void leakageFailStopsWithCountAndExample() {
    Cli.Result result = ingest("--set", "ingest.leakage=fail");
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(
        result
            .err()
            .contains(
                "ingest: "
                    + valid
                    + ":2: triple (a, r, b) also occurs in the training input; "
                    + "2 valid/test triples do (valid 1, test 1); ingest.leakage = fail\n"),
        result.toString());
    assertFalse(result.err().contains("\tat "), result.toString());
    assertFalse(
        Files.exists(tmp.resolve("out")), "a failed ingest must not leave an output directory");
  }

  @Test
  void leakageFailPassesWithoutLeakage() {
    Path train = Files2.write(tmp.resolve("train.tsv"), TRAIN);
    Path test = Files2.write(tmp.resolve("test.tsv"), "c\tr\ta\n");
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            train.toString(),
            "--test",
            test.toString(),
            "--output",
            tmp.resolve("out").toString(),
            "--set",
            "ingest.leakage=fail");
    assertEquals(0, result.exitCode(), result.toString());
    assertTrue(
        result.out().contains("ingest: no valid/test triple occurs in train\n"), result.toString());
    assertEquals(0, stats().get("leakage").get("test_triples").asLong());
    assertFalse(stats().get("leakage").has("valid_triples"), "no valid split");
  }

  @Test
  void unseenEntitiesAndRelationsCounted() {
    Cli.Result result = ingest();
    assertEquals(0, result.exitCode(), result.toString());
    JsonNode stats = stats();
    JsonNode entities = stats.get("unseen_entities");
    assertEquals(3, entities.get("entities").asLong()); // d, e, f
    assertEquals(1, entities.get("valid_triples").asLong()); // d r a
    assertEquals(1, entities.get("test_triples").asLong()); // e u f
    JsonNode relations = stats.get("unseen_relations");
    assertEquals(2, relations.get("relations").asLong()); // t, u
    assertEquals(0, relations.get("valid_triples").asLong());
    assertEquals(2, relations.get("test_triples").asLong()); // a t c, e u f
    JsonNode triples = stats.get("unseen_triples");
    assertEquals(1, triples.get("valid_triples").asLong());
    assertEquals(2, triples.get("test_triples").asLong());
    assertEquals(6, stats.get("entities").asLong());
    assertEquals(4, stats.get("relations").asLong());
    assertTrue(
        result
            .out()
            .contains(
                "ingest: not in train: 3 entities and 2 relations of valid/test; triples with one: "
                    + "valid 1, test 2 (the evaluate stage leaves them out: evaluate.unseen = drop)\n"),
        result.toString());
  }
}
