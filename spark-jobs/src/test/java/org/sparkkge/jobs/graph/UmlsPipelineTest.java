package org.sparkkge.jobs.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.cli.StageRegistry;
import org.sparkkge.jobs.stage.Stage;

/**
 * ingest, reduce, tokenize and partition on the bundled UMLS graph, one CLI command each; every
 * graph dataset is checked against a single-machine reference computed here (Batagelj-Zaversnik
 * peeling, BFS from the core, BFS to the anchors under the documented tie rule).
 */
class UmlsPipelineTest {
  private static final int K_CORE = 20;
  private static final int NEAREST = 5;
  private static final int RELATION_TOKENS = 4;
  private static final int SHARDS = 3;

  @TempDir Path tmp;

  @Test
  void graphStagesMatchSingleMachineReferencesOnUmls() {
    List<String> order = StageRegistry.pipeline().stream().map(Stage::name).toList();
    assertEquals(
        List.of("ingest", "reduce", "tokenize", "partition"),
        order.subList(0, 4),
        order.toString());

    Path data = Cli.repoRoot().resolve("data/umls");
    Path out = tmp.resolve("umls");
    // One command per stage (run, which goes on to train, is covered by SmallGraphStagesTest).
    String[][] commands = {
      {
        "ingest",
        "--train",
        data.resolve("train.txt.gz").toString(),
        "--valid",
        data.resolve("valid.txt.gz").toString(),
        "--test",
        data.resolve("test.txt.gz").toString()
      },
      {"reduce", "--set", "reduce.k=" + K_CORE},
      {
        "tokenize",
        "--set",
        "tokenize.anchors=20",
        "--set",
        "tokenize.k=" + NEAREST,
        "--set",
        "tokenize.m=" + RELATION_TOKENS
      },
      {"partition", "--set", "partition.strategy=locality", "--set", "partition.shards=" + SHARDS},
    };
    for (String[] command : commands) {
      List<String> args = new ArrayList<>(List.of(command));
      args.addAll(List.of("--output", out.toString()));
      Cli.Result result = Cli.run(args.toArray(String[]::new));
      assertEquals(0, result.exitCode(), result.toString());
    }
    for (String stage : List.of("ingest", "reduce", "tokenize", "partition")) {
      assertTrue(Files.exists(out.resolve("_stages/" + stage + ".json")), stage + " marker");
    }
    JsonNode stats = Files2.json(out.resolve("stats.json"));
    JsonNode manifest = Files2.json(out.resolve("manifest.json"));
    for (String stage : List.of("reduce", "tokenize", "partition")) {
      assertEquals(
          stats.get(stage),
          manifest.get("stages").get(stage).get("counts"),
          stage + " figures in the manifest");
    }

    List<int[]> train = new ArrayList<>();
    for (String triple : GraphTestData.triples(out, "triples/train")) {
      train.add(Arrays.stream(triple.split(" ")).mapToInt(Integer::parseInt).toArray());
    }
    Map<Integer, Set<Integer>> graph = undirected(train);

    // reduce: core numbers, core triples, periphery distances
    Map<Integer, Integer> cores = peel(graph, train);
    assertEquals(cores, GraphTestData.intMap(out, "core_numbers"));
    List<String> expectedCore = new ArrayList<>();
    for (int[] t : train) {
      if (cores.get(t[0]) >= K_CORE && cores.get(t[2]) >= K_CORE) {
        expectedCore.add(t[0] + " " + t[1] + " " + t[2]);
      }
    }
    expectedCore.sort(null);
    assertEquals(expectedCore, GraphTestData.triples(out, "triples/core"));
    Set<Integer> core = new HashSet<>();
    cores.forEach(
        (id, c) -> {
          if (c >= K_CORE) core.add(id);
        });
    Map<Integer, Integer> expectedPeriphery = new HashMap<>();
    Map<Integer, Integer> hops = bfs(graph, core, Integer.MAX_VALUE);
    for (int id : cores.keySet()) {
      if (!core.contains(id)) {
        expectedPeriphery.put(id, hops.getOrDefault(id, -1));
      }
    }
    assertTrue(
        !expectedPeriphery.isEmpty() && !core.isEmpty(),
        "k = " + K_CORE + " splits UMLS into core and periphery");
    assertEquals(expectedPeriphery, GraphTestData.intMap(out, "periphery"));
    JsonNode reduce = stats.get("reduce");
    assertEquals(core.size(), reduce.get("core").get("entities").asLong());
    assertEquals(expectedCore.size(), reduce.get("core").get("triples").asLong());
    assertEquals(expectedPeriphery.size(), reduce.get("periphery").get("entities").asLong());
    int maxCore = cores.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
    assertEquals(maxCore, reduce.get("max_core_number").asInt());
    assertEquals(maxCore, reduce.get("per_k").size());
    for (JsonNode level : reduce.get("per_k")) {
      int k = level.get("k").asInt();
      long entities = cores.values().stream().filter(c -> c >= k).count();
      long triples =
          train.stream().filter(t -> cores.get(t[0]) >= k && cores.get(t[2]) >= k).count();
      assertEquals(entities, level.get("entities").asLong(), "entities of the " + k + "-core");
      assertEquals(triples, level.get("triples").asLong(), "triples of the " + k + "-core");
    }

    // tokenize: anchors from the vocabulary, nearest anchors by BFS, relation tokens from incident
    // edges
    TreeMap<Integer, Integer> anchorIndex = new TreeMap<>();
    for (Row row : GraphTestData.rows(out, "vocab")) {
      if (row.getString(1).equals("anchor")) {
        anchorIndex.put(row.getInt(3), row.getInt(0));
      }
    }
    assertEquals(20, anchorIndex.size());
    int relations = 46;
    Map<Integer, Set<Integer>> incident = new HashMap<>();
    for (int[] t : train) {
      incident.computeIfAbsent(t[0], x -> new TreeSet<>()).add(t[1]);
      incident.computeIfAbsent(t[2], x -> new TreeSet<>()).add(t[1] + relations);
    }
    List<Row> tokens = GraphTestData.rows(out, "tokens");
    assertEquals(135, tokens.size());
    for (Row row : tokens) {
      int id = row.getInt(0);
      List<long[]> reached = new ArrayList<>();
      bfs(graph, Set.of(id), 50)
          .forEach(
              (entity, distance) -> {
                if (anchorIndex.containsKey(entity)) {
                  reached.add(new long[] {distance, anchorIndex.get(entity)});
                }
              });
      reached.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
      int[] anchors = new int[NEAREST];
      int[] distances = new int[NEAREST];
      Arrays.fill(anchors, -1);
      Arrays.fill(distances, -1);
      for (int i = 0; i < Math.min(NEAREST, reached.size()); i++) {
        anchors[i] = (int) reached.get(i)[1];
        distances[i] = (int) reached.get(i)[0];
      }
      assertArrayEquals(anchors, GraphTestData.ints(row, "anchors"), "anchors of entity " + id);
      assertArrayEquals(
          distances, GraphTestData.ints(row, "distances"), "distances of entity " + id);

      int[] sampled = GraphTestData.ints(row, "relations");
      Set<Integer> available = incident.getOrDefault(id, Set.of());
      int real = (int) Arrays.stream(sampled).filter(r -> r >= 0).count();
      assertEquals(
          Math.min(RELATION_TOKENS, available.size()), real, "relation tokens of entity " + id);
      for (int i = 0; i < real; i++) {
        assertTrue(
            available.contains(sampled[i]),
            "entity " + id + " has no edge for token " + sampled[i]);
        assertTrue(
            i == 0 || sampled[i] > sampled[i - 1], "relation tokens ascend and are distinct");
      }
    }
    JsonNode tokenize = stats.get("tokenize");
    assertEquals(20, tokenize.get("anchors").asInt());
    assertEquals(8, tokenize.get("anchors_by_strategy").get("degree").asInt());
    assertEquals(8, tokenize.get("anchors_by_strategy").get("pagerank").asInt());
    assertEquals(4, tokenize.get("anchors_by_strategy").get("random").asInt());
    assertEquals(1e-3, tokenize.get("pagerank_tolerance").asDouble());
    assertEquals(135, tokenize.get("entities").asLong());
    assertEquals(20 + 2 * relations + 1, tokenize.get("vocab_size").asLong());

    // partition: the core triples, split by the head's nearest anchor, with brute-force quality
    assertEquals(expectedCore, GraphTestData.triples(out, "triples/partitioned"));
    long[] sizes = new long[SHARDS];
    Map<Integer, Set<Integer>> entityShards = new HashMap<>();
    for (Row row : GraphTestData.rows(out, "triples/partitioned")) {
      int shard = row.getInt(3);
      sizes[shard]++;
      entityShards.computeIfAbsent(row.getInt(0), x -> new HashSet<>()).add(shard);
      entityShards.computeIfAbsent(row.getInt(2), x -> new HashSet<>()).add(shard);
    }
    JsonNode partition = stats.get("partition");
    assertEquals("triples/core", partition.get("input").asText());
    assertEquals("locality", partition.get("strategy").asText());
    assertEquals(SHARDS, partition.get("shards").asInt());
    assertEquals("partition.shards", partition.get("shards_from").asText());
    assertEquals(Arrays.toString(sizes).replace(" ", ""), partition.get("shard_sizes").toString());
    double mean = expectedCore.size() / (double) SHARDS;
    assertEquals(
        Arrays.stream(sizes).max().orElseThrow() / mean, partition.get("balance").asDouble(), 1e-6);
    double replication =
        entityShards.values().stream().mapToInt(Set::size).sum() / (double) entityShards.size();
    assertEquals(replication, partition.get("replication_factor").asDouble(), 1e-6);
  }

  private static Map<Integer, Set<Integer>> undirected(List<int[]> triples) {
    Map<Integer, Set<Integer>> graph = new HashMap<>();
    for (int[] t : triples) {
      graph.computeIfAbsent(t[0], x -> new HashSet<>());
      graph.computeIfAbsent(t[2], x -> new HashSet<>());
      if (t[0] != t[2]) {
        graph.get(t[0]).add(t[2]);
        graph.get(t[2]).add(t[0]);
      }
    }
    return graph;
  }

  /** Batagelj-Zaversnik: repeatedly remove a vertex of least remaining degree. */
  private static Map<Integer, Integer> peel(Map<Integer, Set<Integer>> graph, List<int[]> triples) {
    Map<Integer, Integer> degree = new HashMap<>();
    graph.forEach((v, n) -> degree.put(v, n.size()));
    Map<Integer, Integer> core = new HashMap<>();
    TreeSet<long[]> queue =
        new TreeSet<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    degree.forEach((v, d) -> queue.add(new long[] {d, v}));
    int current = 0;
    while (!queue.isEmpty()) {
      long[] next = queue.pollFirst();
      int v = (int) next[1];
      current = Math.max(current, (int) next[0]);
      core.put(v, current);
      for (int u : graph.get(v)) {
        if (!core.containsKey(u)) {
          int d = degree.get(u);
          queue.remove(new long[] {d, u});
          degree.put(u, d - 1);
          queue.add(new long[] {d - 1, u});
        }
      }
    }
    return core;
  }

  /** Hop distance from the nearest source, up to maxHops. */
  private static Map<Integer, Integer> bfs(
      Map<Integer, Set<Integer>> graph, Set<Integer> sources, int maxHops) {
    Map<Integer, Integer> distance = new HashMap<>();
    ArrayDeque<Integer> frontier = new ArrayDeque<>();
    for (int s : sources) {
      distance.put(s, 0);
      frontier.add(s);
    }
    while (!frontier.isEmpty()) {
      int v = frontier.poll();
      int d = distance.get(v);
      if (d == maxHops) {
        continue;
      }
      for (int u : graph.getOrDefault(v, Set.of())) {
        if (!distance.containsKey(u)) {
          distance.put(u, d + 1);
          frontier.add(u);
        }
      }
    }
    return distance;
  }
}
