package org.sparkkge.jobs.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.cli.StageRegistry;
import org.sparkkge.jobs.stage.Stage;

/**
 * {@code run} (ingest, reduce, tokenize, partition, then the later stages) on a hand-made graph
 * whose core numbers, periphery distances and tokens are worked out by hand (entity ids follow the
 * sorted names a..k):
 *
 * <pre>
 *   a, b, c, d   a 4-clique (a-b twice, as a r1 b and b r3 a)      core 3
 *   e            linked to a and b                                core 2
 *   f - g        f linked to e, g to f                            core 1, 1
 *   h            only a self-loop                                 core 0
 *   i - j        an edge of their own, not connected to the rest  core 1, 1
 *   k            only in valid (no training edge)                 not in core_numbers
 * </pre>
 */
class SmallGraphStagesTest {
  private static final String TRAIN =
      String.join(
              "\n",
              "a\tr1\tb",
              "a\tr1\tc",
              "a\tr2\td",
              "b\tr2\tc",
              "b\tr1\td",
              "c\tr3\td",
              "b\tr3\ta",
              "e\tr1\ta",
              "b\tr2\te",
              "f\tr3\te",
              "f\tr1\tg",
              "h\tr2\th",
              "i\tr3\tj")
          + "\n";

  @TempDir static Path tmp;
  private static Path out;
  private static Cli.Result run;

  @BeforeAll
  static void runStages() {
    Path train = Files2.write(tmp.resolve("in/train.tsv"), TRAIN);
    Path valid = Files2.write(tmp.resolve("in/valid.tsv"), "a\tr1\tk\n");
    Path test = Files2.write(tmp.resolve("in/test.tsv"), "c\tr2\te\n");
    out = tmp.resolve("out");
    // run chains every stage; train (and what follows) gets a tiny model so the chain stays short.
    run =
        Cli.run(
            "run",
            "--train",
            train.toString(),
            "--valid",
            valid.toString(),
            "--test",
            test.toString(),
            "--output",
            out.toString(),
            "--set",
            "reduce.k=3",
            "--set",
            "tokenize.anchors=2",
            "--set",
            "tokenize.k=2",
            "--set",
            "tokenize.m=4",
            "--set",
            "tokenize.strategy=degree",
            "--set",
            "partition.strategy=random",
            "--set",
            "train.dim=8",
            "--set",
            "train.negatives=10");
  }

  @Test
  void runChainsIngestReduceTokenizePartitionInPipelineOrder() {
    assertEquals(0, run.exitCode(), run.toString());
    List<String> order = StageRegistry.pipeline().stream().map(Stage::name).toList();
    assertEquals(
        List.of("ingest", "reduce", "tokenize", "partition"),
        order.subList(0, 4),
        order.toString());
    int previous = -1;
    for (String stage : order.subList(1, 4)) {
      assertTrue(Files.exists(out.resolve("_stages/" + stage + ".json")), stage + " marker");
      int at = run.err().indexOf(stage + ": started");
      assertTrue(at > previous, stage + " runs after the stage before it\n" + run);
      previous = at;
    }
  }

  @Test
  void reduceWritesExactCoreNumbersCoreTriplesAndPeriphery() {
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals("id int, core_number int", GraphTestData.schema(out, "core_numbers"));
    assertEquals("head int, relation int, tail int", GraphTestData.schema(out, "triples/core"));
    assertEquals("id int, distance int", GraphTestData.schema(out, "periphery"));

    // a=0 b=1 c=2 d=3 e=4 f=5 g=6 h=7 i=8 j=9 (k=10 has no training edge)
    assertEquals(
        Map.of(0, 3, 1, 3, 2, 3, 3, 3, 4, 2, 5, 1, 6, 1, 7, 0, 8, 1, 9, 1),
        GraphTestData.intMap(out, "core_numbers"));
    // r1=0 r2=1 r3=2: the seven clique triples
    assertEquals(
        List.of("0 0 1", "0 0 2", "0 1 3", "1 0 3", "1 1 2", "1 2 0", "2 2 3"),
        GraphTestData.triples(out, "triples/core"));
    assertEquals(
        Map.of(4, 1, 5, 2, 6, 3, 7, -1, 8, -1, 9, -1), GraphTestData.intMap(out, "periphery"));

    JsonNode stats = Files2.json(out.resolve("stats.json"));
    assertEquals(11, stats.get("entities").asLong(), "ingest's section is kept");
    JsonNode section = stats.get("reduce");
    assertEquals(3, section.get("k").asInt());
    assertEquals(10, section.get("entities").asLong());
    assertEquals(13, section.get("triples").asLong());
    assertEquals(3, section.get("max_core_number").asInt());
    assertEquals(4, section.get("core").get("entities").asLong());
    assertEquals(7, section.get("core").get("triples").asLong());
    assertEquals(0.4, section.get("core").get("entity_share").asDouble(), 1e-9);
    assertEquals(0.538462, section.get("core").get("triple_share").asDouble(), 1e-9);
    JsonNode periphery = section.get("periphery");
    assertEquals(6, periphery.get("entities").asLong());
    assertEquals(3, periphery.get("reachable").asLong());
    assertEquals(3, periphery.get("unreachable").asLong());
    assertEquals(3, periphery.get("max_distance").asInt());
    assertEquals("{\"1\":1,\"2\":1,\"3\":1}", periphery.get("by_distance").toString());
    // per k = 1..3: entities 9, 5, 4 (h has core 0); triples 12 (all but the self-loop), 9, 7
    JsonNode perK = section.get("per_k");
    assertEquals(3, perK.size());
    long[][] expected = {{1, 9, 12}, {2, 5, 9}, {3, 4, 7}};
    for (int i = 0; i < 3; i++) {
      assertEquals(expected[i][0], perK.get(i).get("k").asLong());
      assertEquals(expected[i][1], perK.get(i).get("entities").asLong(), perK.toString());
      assertEquals(expected[i][2], perK.get(i).get("triples").asLong(), perK.toString());
    }
    JsonNode marker = Files2.json(out.resolve("_stages/reduce.json"));
    assertEquals(section, marker.get("counts"), "the marker carries the same figures");
    assertTrue(
        run.out().contains("reduce: max core number 3; 3-core: 4 of 10 entities"), run.toString());
  }

  @Test
  void tokenizeWritesExactTokensAndVocab() {
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(
        "id int, anchors array<int>, distances array<int>, relations array<int>",
        GraphTestData.schema(out, "tokens"));
    assertEquals(
        "token_id int, kind string, local_id int, source_id int",
        GraphTestData.schema(out, "vocab"));

    // Anchors by degree (distinct neighbours): a and b have 4, ties by smaller id -> anchor 0 = a,
    // anchor 1 = b. Per entity: (anchor, distance) by distance then anchor index.
    // Relation tokens: outgoing r as r, incoming r as r + 3; m = 4 covers every entity's distinct
    // set.
    Map<Integer, int[][]> expected = new HashMap<>();
    expected.put(0, new int[][] {{0, 1}, {0, 1}, {0, 1, 3, 5}});
    expected.put(1, new int[][] {{1, 0}, {0, 1}, {0, 1, 2, 3}});
    expected.put(2, new int[][] {{0, 1}, {1, 1}, {2, 3, 4, -1}});
    expected.put(3, new int[][] {{0, 1}, {1, 1}, {3, 4, 5, -1}});
    expected.put(4, new int[][] {{0, 1}, {1, 1}, {0, 4, 5, -1}});
    expected.put(5, new int[][] {{0, 1}, {2, 2}, {0, 2, -1, -1}});
    expected.put(6, new int[][] {{0, 1}, {3, 3}, {3, -1, -1, -1}});
    expected.put(7, new int[][] {{-1, -1}, {-1, -1}, {1, 4, -1, -1}});
    expected.put(8, new int[][] {{-1, -1}, {-1, -1}, {2, -1, -1, -1}});
    expected.put(9, new int[][] {{-1, -1}, {-1, -1}, {5, -1, -1, -1}});
    expected.put(10, new int[][] {{-1, -1}, {-1, -1}, {-1, -1, -1, -1}});
    List<Row> tokens = GraphTestData.rows(out, "tokens");
    assertEquals(11, tokens.size(), "every entity of `entities`, including k (valid only)");
    for (Row row : tokens) {
      int id = row.getInt(0);
      int[][] want = expected.get(id);
      assertArrayEquals(want[0], GraphTestData.ints(row, "anchors"), "anchors of " + id);
      assertArrayEquals(want[1], GraphTestData.ints(row, "distances"), "distances of " + id);
      assertArrayEquals(want[2], GraphTestData.ints(row, "relations"), "relations of " + id);
    }

    List<String> vocab = new ArrayList<>();
    for (Row row : GraphTestData.rows(out, "vocab")) {
      vocab.add(row.getInt(0) + " " + row.getString(1) + " " + row.getInt(2) + " " + row.getInt(3));
    }
    vocab.sort(null);
    assertEquals(
        List.of(
            "0 anchor 0 0",
            "1 anchor 1 1",
            "2 relation 0 0",
            "3 relation 1 1",
            "4 relation 2 2",
            "5 inverse_relation 3 0",
            "6 inverse_relation 4 1",
            "7 inverse_relation 5 2",
            "8 padding -1 -1"),
        vocab);

    JsonNode section = Files2.json(out.resolve("stats.json")).get("tokenize");
    assertEquals(2, section.get("anchors").asInt());
    assertEquals(2, section.get("anchors_requested").asInt());
    assertEquals("degree", section.get("strategy").asText());
    assertEquals(2, section.get("anchors_by_strategy").get("degree").asInt());
    assertEquals(0, section.get("anchors_by_strategy").get("pagerank").asInt());
    assertEquals(0, section.get("anchors_by_strategy").get("random").asInt());
    assertEquals(11, section.get("entities").asLong());
    assertEquals(4, section.get("entities_fewer_than_k_anchors").asLong(), "h, i, j, k");
    assertEquals(4, section.get("entities_without_anchor").asLong());
    assertEquals(0.363636, section.get("share_fewer_than_k_anchors").asDouble(), 1e-9);
    // found pairs: 7 entities x 2 anchors, distance sums 1+1+2+2+2+4+6 = 18; nearest 0+0+1+1+1+2+3
    // = 8
    assertEquals(18.0 / 14, section.get("mean_anchor_distance").asDouble(), 1e-6);
    assertEquals(8.0 / 7, section.get("mean_nearest_anchor_distance").asDouble(), 1e-6);
    assertEquals(3, section.get("max_nearest_anchor_distance").asInt());
    assertEquals(9, section.get("entities_fewer_than_m_relations").asLong(), "all but a and b");
    assertEquals(9, section.get("vocab_size").asLong());
    assertEquals(
        4,
        section.get("bfs_rounds").asInt(),
        "g is 3 hops from b; round 4 finds nothing new and ends the BFS");
    assertTrue(Files2.json(out.resolve("stats.json")).has("reduce"), "earlier sections are kept");
  }

  @Test
  void partitionSplitsTheCoreTriplesAndReportsQuality() {
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals(
        "head int, relation int, tail int, shard int",
        GraphTestData.schema(out, "triples/partitioned"));
    assertEquals(
        GraphTestData.triples(out, "triples/core"),
        GraphTestData.triples(out, "triples/partitioned"));

    // Brute-force quality from the written rows.
    int shards = 2; // default in local[2]: one shard per local core
    long[] sizes = new long[shards];
    Map<Integer, Set<Integer>> entityShards = new HashMap<>();
    Map<Integer, Set<Integer>> relationShards = new HashMap<>();
    for (Row row : GraphTestData.rows(out, "triples/partitioned")) {
      int shard = row.getInt(3);
      sizes[shard]++;
      entityShards.computeIfAbsent(row.getInt(0), x -> new TreeSet<>()).add(shard);
      entityShards.computeIfAbsent(row.getInt(2), x -> new TreeSet<>()).add(shard);
      relationShards.computeIfAbsent(row.getInt(1), x -> new TreeSet<>()).add(shard);
    }
    double replication =
        entityShards.values().stream().mapToInt(Set::size).sum() / (double) entityShards.size();
    double everywhere =
        relationShards.values().stream().filter(s -> s.size() == shards).count()
            / (double) relationShards.size();

    JsonNode section = Files2.json(out.resolve("stats.json")).get("partition");
    assertEquals("triples/core", section.get("input").asText());
    assertEquals("random", section.get("strategy").asText());
    assertEquals(shards, section.get("shards").asInt());
    assertEquals("default: 2 local cores (local[2])", section.get("shards_from").asText());
    assertEquals(7, section.get("triples").asLong());
    assertEquals("[" + sizes[0] + "," + sizes[1] + "]", section.get("shard_sizes").toString());
    assertEquals(Math.max(sizes[0], sizes[1]) / 3.5, section.get("balance").asDouble(), 1e-6);
    assertEquals(replication, section.get("replication_factor").asDouble(), 1e-6);
    assertEquals(everywhere, section.get("relations_in_every_shard").asDouble(), 1e-6);
    assertEquals(4, section.get("entities").asLong());
    assertEquals(3, section.get("relations").asLong());
    assertTrue(Files.exists(out.resolve("_stages/partition.json")));
  }

  @Test
  void rerunningAStageNeedsOverwrite() {
    Cli.Result refused = Cli.run("reduce", "--output", out.toString(), "--set", "reduce.k=3");
    assertEquals(1, refused.exitCode(), refused.toString());
    assertTrue(
        refused
            .err()
            .contains(
                "reduce: "
                    + out
                    + " already holds core_numbers, triples/core, periphery from an earlier reduce run (use --overwrite to replace them)"),
        refused.toString());
    Cli.Result tooDeep =
        Cli.run("reduce", "--output", out.toString(), "--set", "reduce.k=4", "--overwrite");
    assertEquals(1, tooDeep.exitCode(), tooDeep.toString());
    assertTrue(
        tooDeep.err().contains("reduce.k = 4 exceeds the largest core number of triples/train (3)"),
        tooDeep.toString());
    assertTrue(
        Files.exists(out.resolve("_stages/reduce.json")),
        "a failed re-run leaves the earlier reduce output in place");
    assertFalse(Files.exists(out.resolve("_temporary")));
  }
}
