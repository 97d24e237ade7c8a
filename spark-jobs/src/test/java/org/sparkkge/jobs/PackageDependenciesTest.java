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
 * Dependencies inside spark-jobs run one way: no cycle between packages, and a stage's package uses
 * no other stage's class (only cli, which assembles the pipeline, knows every stage). Read from the
 * sources: imports and qualified names of org.sparkkge.jobs classes.
 */
class PackageDependenciesTest {
  private static final Path SOURCES =
      Cli.repoRoot().resolve("spark-jobs/src/main/java/org/sparkkge/jobs");
  private static final Pattern REFERENCE =
      Pattern.compile("org\\.sparkkge\\.jobs\\.([a-z]+)\\.([A-Z]\\w*)");

  /** package -> (used package -> the classes used from it). */
  static Map<String, Map<String, Set<String>>> dependencies() throws IOException {
    Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(SOURCES)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
    for (Path file : files) {
      Path relative = SOURCES.relativize(file);
      String from = relative.getNameCount() == 1 ? "" : relative.getName(0).toString();
      Map<String, Set<String>> uses = graph.computeIfAbsent(from, k -> new TreeMap<>());
      Matcher m = REFERENCE.matcher(Files.readString(file));
      while (m.find()) {
        if (!m.group(1).equals(from)) {
          uses.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
        }
      }
    }
    return graph;
  }

  @Test
  void packagesFormNoCycle() throws IOException {
    Map<String, Map<String, Set<String>>> graph = dependencies();
    assertTrue(
        graph.keySet().containsAll(List.of("cli", "train", "evaluate", "export", "io", "stage")),
        graph.keySet().toString());
    List<String> cycles = new ArrayList<>();
    for (String start : graph.keySet()) {
      findCycle(graph, start, new ArrayList<>(List.of(start)), cycles);
    }
    assertEquals(List.of(), cycles, "package cycles (each with what closes it): " + graph);
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
