package org.sparkkge.jobs.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;

/**
 * Missing inputs name the stage to run first; bad settings are usage errors; reduce.k = 0 is a
 * pass-through.
 */
class GraphStageErrorsTest {
  @TempDir Path tmp;

  @Test
  void stagesWithoutIngestNameTheIngestStage() {
    Path out = tmp.resolve("empty");
    for (String stage : new String[] {"reduce", "tokenize", "partition"}) {
      Cli.Result result = Cli.run(stage, "--output", out.toString());
      assertEquals(1, result.exitCode(), result.toString());
      assertTrue(
          result
              .err()
              .contains(
                  stage
                      + ": missing dataset triples/train in "
                      + out
                      + " (written by the ingest stage): run `spark-kge ingest --output "
                      + out
                      + "` first"),
          result.toString());
    }
  }

  /**
   * The triangle a-b-c (core number 2) and the edge c-d (d: core number 1), ingested into {@code
   * name}.
   */
  private Path ingestedTriangleWithTail(String name) {
    Path train = Files2.write(tmp.resolve("train.tsv"), "a\tr\tb\nb\tr\tc\nc\ts\ta\nc\tr\td\n");
    Path out = tmp.resolve(name);
    Cli.Result ingest = Cli.run("ingest", "--train", train.toString(), "--output", out.toString());
    assertEquals(0, ingest.exitCode(), ingest.toString());
    return out;
  }

  @Test
  void localityWithoutTokensNamesTheTokenizeStageAndZeroKKeepsEveryTriple() {
    Path out = ingestedTriangleWithTail("out");

    Cli.Result locality =
        Cli.run("partition", "--output", out.toString(), "--set", "partition.strategy=locality");
    assertEquals(1, locality.exitCode(), locality.toString());
    assertTrue(
        locality
            .err()
            .contains(
                "partition: missing dataset tokens in "
                    + out
                    + " (written by the tokenize stage): run `spark-kge tokenize --output "
                    + out
                    + "` first (partition.strategy = locality groups triples by the head's nearest anchor"),
        locality.toString());
    assertFalse(Files.exists(out.resolve("triples/partitioned")));

    Cli.Result reduce = Cli.run("reduce", "--output", out.toString());
    assertEquals(0, reduce.exitCode(), reduce.toString());
    assertEquals(
        GraphTestData.triples(out, "triples/train"), GraphTestData.triples(out, "triples/core"));
    assertEquals(0, GraphTestData.rows(out, "periphery").size());
    assertEquals("id int, distance int", GraphTestData.schema(out, "periphery"));
    JsonNode section = Files2.json(out.resolve("stats.json")).get("reduce");
    assertEquals(0, section.get("k").asInt());
    assertEquals(4, section.get("core").get("entities").asLong());
    assertEquals(4, section.get("core").get("triples").asLong());
    assertEquals(1.0, section.get("core").get("triple_share").asDouble());
    assertEquals(2, section.get("max_core_number").asInt(), "the triangle a-b-c");

    // partition now reads triples/core; bucket2d with 4 shards
    Cli.Result partition =
        Cli.run(
            "partition",
            "--output",
            out.toString(),
            "--set",
            "partition.strategy=bucket2d",
            "--set",
            "partition.shards=4");
    assertEquals(0, partition.exitCode(), partition.toString());
    JsonNode quality = Files2.json(out.resolve("stats.json")).get("partition");
    assertEquals("triples/core", quality.get("input").asText());
    assertEquals(4, quality.get("shard_sizes").size());
    assertEquals(4, quality.get("triples").asLong());

    // tokenize with more anchors than connected entities uses all of them, and says so
    Cli.Result tokenize =
        Cli.run(
            "tokenize",
            "--output",
            out.toString(),
            "--set",
            "tokenize.k=3",
            "--set",
            "tokenize.m=2");
    assertEquals(0, tokenize.exitCode(), tokenize.toString());
    assertTrue(
        tokenize
            .err()
            .contains(
                "tokenize.anchors = 1000 exceeds the 4 entities with a training edge: using all 4 as anchors"),
        tokenize.toString());
    JsonNode tokens = Files2.json(out.resolve("stats.json")).get("tokenize");
    assertEquals(4, tokens.get("anchors").asInt());
    assertEquals(1000, tokens.get("anchors_requested").asInt());
  }

  @Test
  void autoKTakesTheLargestCoreThatKeepsTheTripleShare() {
    // the 2-core keeps 3 of the 4 triples
    Path out = ingestedTriangleWithTail("auto");

    Cli.Result twoCore =
        Cli.run(
            "reduce",
            "--output",
            out.toString(),
            "--set",
            "reduce.k=auto",
            "--set",
            "reduce.min-triple-share=0.75");
    assertEquals(0, twoCore.exitCode(), twoCore.toString());
    JsonNode section = Files2.json(out.resolve("stats.json")).get("reduce");
    assertEquals(2, section.get("k").asInt());
    assertEquals(3, section.get("core").get("triples").asLong());
    assertEquals(1, section.get("periphery").get("entities").asLong());
    assertTrue(
        section.get("k_rule").asText().contains("auto: the largest k whose core keeps >= 0.75"),
        section.toString());
    assertTrue(twoCore.out().contains("reduce: reduce.k = auto chose k = 2"), twoCore.toString());
    assertEquals(List.of("0 0 1", "1 0 2", "2 1 0"), GraphTestData.triples(out, "triples/core"));

    Cli.Result oneCore =
        Cli.run(
            "reduce",
            "--output",
            out.toString(),
            "--overwrite",
            "--set",
            "reduce.k=auto",
            "--set",
            "reduce.min-triple-share=0.76");
    assertEquals(0, oneCore.exitCode(), oneCore.toString());
    section = Files2.json(out.resolve("stats.json")).get("reduce");
    assertEquals(1, section.get("k").asInt(), "the 2-core keeps 0.75 < 0.76 of the triples");
    assertEquals(4, section.get("core").get("triples").asLong());
    assertEquals(0, section.get("periphery").get("entities").asLong());
  }

  @Test
  void badSettingsAreUsageErrors() {
    Path out = tmp.resolve("never");
    Cli.Result negative = Cli.run("reduce", "--output", out.toString(), "--set", "reduce.k=-1");
    assertEquals(2, negative.exitCode(), negative.toString());
    assertTrue(negative.err().contains("reduce.k must be >= 0"), negative.toString());
    Cli.Result word = Cli.run("reduce", "--output", out.toString(), "--set", "reduce.k=most");
    assertEquals(2, word.exitCode(), word.toString());
    assertTrue(
        word.err()
            .contains("reduce.k must be an integer >= 0 (0 = no reduction) or auto, got 'most'"),
        word.toString());
    Cli.Result share =
        Cli.run(
            "reduce",
            "--output",
            out.toString(),
            "--set",
            "reduce.k=auto",
            "--set",
            "reduce.min-triple-share=0");
    assertEquals(2, share.exitCode(), share.toString());
    assertTrue(
        share.err().contains("reduce.min-triple-share must be in (0, 1], got 0.0"),
        share.toString());
    Cli.Result mix =
        Cli.run("tokenize", "--output", out.toString(), "--set", "tokenize.mix.degree=0.9");
    assertEquals(2, mix.exitCode(), mix.toString());
    assertTrue(
        mix.err()
            .contains(
                "tokenize.mix.degree, .pagerank and .random must be non-negative shares summing to 1"),
        mix.toString());
    Cli.Result tolerance =
        Cli.run(
            "tokenize", "--output", out.toString(), "--set", "tokenize.pagerank.tolerance=-0.5");
    assertEquals(2, tolerance.exitCode(), tolerance.toString());
    assertTrue(
        tolerance
            .err()
            .contains("tokenize.pagerank.tolerance must be a finite number > 0, got -0.5"),
        tolerance.toString());
    Cli.Result strategy =
        Cli.run("partition", "--output", out.toString(), "--set", "partition.strategy=metis");
    assertEquals(2, strategy.exitCode(), strategy.toString());
    assertTrue(
        strategy.err().contains("partition.strategy must be random|bucket2d|locality, got 'metis'"),
        strategy.toString());
    assertFalse(Files.exists(out));
  }
}
