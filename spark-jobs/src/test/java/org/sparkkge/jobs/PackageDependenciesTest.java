package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies inside each module run one way: no cycle between the packages of spark-jobs,
 * embedding-core or partitioner, and in spark-jobs a stage's package uses no other stage's class
 * (only cli, which assembles the pipeline, knows every stage). Read from the sources: imports and
 * qualified names of the module's classes ("" is the module's root package).
 */
class PackageDependenciesTest {
  /** module source folder -> its root package. */
  private static final Map<String, String> MODULES =
      Map.of(
          "spark-jobs/src/main/java", "org.sparkkge.jobs",
          "embedding-core/src/main/java", "org.sparkkge.core",
          "partitioner/src/main/java", "org.sparkkge.partitioner");

  static Map<String, Map<String, Set<String>>> dependencies() throws IOException {
    return dependencies("spark-jobs/src/main/java");
  }

  /**
   * package -> (used package -> the classes used from it), for the module in {@code sourceFolder}.
   */
  static Map<String, Map<String, Set<String>>> dependencies(String sourceFolder)
      throws IOException {
    String base = MODULES.get(sourceFolder);
    Path sources = Cli.repoRoot().resolve(sourceFolder).resolve(base.replace('.', '/'));
    Pattern reference = Pattern.compile(Pattern.quote(base + ".") + "(?:([a-z]+)\\.)?([A-Z]\\w*)");
    Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(sources)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
    for (Path file : files) {
      Path relative = sources.relativize(file);
      String from = relative.getNameCount() == 1 ? "" : relative.getName(0).toString();
      Map<String, Set<String>> uses = graph.computeIfAbsent(from, k -> new TreeMap<>());
      Matcher m = reference.matcher(Files.readString(file));
      while (m.find()) {
        String to = m.group(1) == null ? "" : m.group(1);
        if (!to.equals(from)) {
          uses.computeIfAbsent(to, k -> new TreeSet<>()).add(m.group(2));
        }
      }
    }
    return graph;
  }

  @Test
  void packagesFormNoCycle() throws IOException {
    assertTrue(
        dependencies()
            .keySet()
            .containsAll(List.of("cli", "train", "evaluate", "export", "io", "stage")),
        dependencies().keySet().toString());
    assertTrue(
        dependencies("embedding-core/src/main/java")
            .keySet()
            .containsAll(List.of("", "train", "model", "nodepiece", "loss")));
    for (String module : MODULES.keySet()) {
      Map<String, Map<String, Set<String>>> graph = dependencies(module);
      List<String> cycles = new ArrayList<>();
      for (String start : graph.keySet()) {
        findCycle(graph, start, new ArrayList<>(List.of(start)), cycles);
      }
      assertEquals(
          List.of(), cycles, module + ": package cycles (each with what closes it): " + graph);
    }
  }

  @Test
  void noStageUsesAnotherStagesClass() throws IOException {
    List<String> violations = new ArrayList<>();
    dependencies()
        .forEach(
            (from, uses) -> {
              if (!from.equals("cli")) {
                uses.forEach(
                    (to, classes) ->
                        classes.stream()
                            .filter(c -> c.endsWith("Stage") && !c.equals("Stage"))
                            .forEach(c -> violations.add(from + " -> " + to + "." + c)));
              }
            });
    assertEquals(List.of(), violations);
  }

  /**
   * Depth-first search for a path back to {@code path.get(0)}; records each cycle once (from its
   * smallest package).
   */
  private static void findCycle(
      Map<String, Map<String, Set<String>>> graph,
      String start,
      List<String> path,
      List<String> cycles) {
    String last = path.get(path.size() - 1);
    for (String next : graph.getOrDefault(last, Map.of()).keySet()) {
      if (next.equals(start)) {
        cycles.add(
            String.join(" -> ", path) + " -> " + start + " (" + graph.get(last).get(next) + ")");
      } else if (next.compareTo(start) > 0 && !path.contains(next)) {
        path.add(next);
        findCycle(graph, start, path, cycles);
        path.remove(path.size() - 1);
      }
    }
  }
}
