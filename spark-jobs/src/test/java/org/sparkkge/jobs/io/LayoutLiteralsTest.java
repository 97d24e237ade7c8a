package org.sparkkge.jobs.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.sparkkge.jobs.Cli;

/**
 * {@link Layout} is the only class that spells a path of the output directory: no other main source
 * has a string literal equal to one of its distinctive paths (a slash, a file name, a marker, an
 * embeddings table) or a literal in a path position (resolve, new Path(parent, ...), read).
 */
class LayoutLiteralsTest {
  private static final Path SOURCES = Cli.repoRoot().resolve("spark-jobs/src/main/java");
  private static final Pattern LITERAL = Pattern.compile("\"((?:[^\"\\\\\n]|\\\\.)*+)\"");
  private static final Pattern PATH_POSITION =
      Pattern.compile(
          "(resolve\\(\\s*|new Path\\([^,()]+,\\s*|read\\(context,\\s*|\\.parquet\\(\\s*)\"([^\"]*)\"");

  /** Scratch space inside a stage's own staging directory, not part of the output layout. */
  private static final Set<String> STAGING_SCRATCH = Set.of("_checkpoints");

  static Set<String> distinctivePaths() throws IllegalAccessException {
    Set<String> paths = new TreeSet<>();
    for (Field field : Layout.class.getDeclaredFields()) {
      if (field.getType() == String.class
          && Modifier.isStatic(field.getModifiers())
          && Modifier.isPublic(field.getModifiers())) {
        String value = (String) field.get(null);
        if (value.contains("/") || value.contains(".") || value.contains("_")) {
          paths.add(value);
        }
      }
    }
    return paths;
  }

  @Test
  void theLayoutHoldsTheDistinctivePaths() throws IllegalAccessException {
    Set<String> paths = distinctivePaths();
    for (String expected :
        List.of(
            "triples/train",
            "triples/partitioned",
            "model/final",
            "entity_embeddings",
            "stats.json",
            "_SUCCESS",
            "evaluation/per_relation",
            "core_numbers")) {
      assertTrue(paths.contains(expected), expected + " in " + paths);
    }
  }

  @Test
  void noOtherMainSourceSpellsAPath() throws Exception {
    Set<String> paths = distinctivePaths();
    List<String> violations = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(SOURCES)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
    assertTrue(files.size() > 50, "sources found under " + SOURCES);
    for (Path file : files) {
      if (file.getFileName().toString().equals("Layout.java")) {
        continue;
      }
      String code = withoutComments(Files.readString(file));
      String name = SOURCES.relativize(file).toString();
      Matcher literal = LITERAL.matcher(code);
      while (literal.find()) {
        if (paths.contains(literal.group(1))) {
          violations.add(name + ": \"" + literal.group(1) + "\"");
        }
      }
      Matcher positioned = PATH_POSITION.matcher(code);
      while (positioned.find()) {
        String spelled = positioned.group(2);
        // a leading dot names a hidden temporary beside its target, written and renamed at once
        if (!STAGING_SCRATCH.contains(spelled) && !spelled.startsWith(".")) {
          violations.add(name + ": " + positioned.group());
        }
      }
    }
    assertEquals(List.of(), violations, "use the names of org.sparkkge.jobs.io.Layout");
  }

  /**
   * Drops block comments and whole-line // comments (a "//" inside a string, as in hdfs://, stays).
   */
  private static String withoutComments(String source) {
    String noBlocks = source.replaceAll("(?s)/\\*.*?\\*/", "");
    StringBuilder kept = new StringBuilder();
    for (String line : noBlocks.split("\n", -1)) {
      kept.append(line.strip().startsWith("//") ? "" : line).append('\n');
    }
    return kept.toString();
  }
}
