package org.sparkkge.jobs.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;

/** bin/spark-kge neighbors through the real CLI entry point (Main.execute), without Spark. */
class NeighborsCommandTest {
  @TempDir static Path tmp;
  static SyntheticExport export;

  @BeforeAll
  static void writeExport() {
    export = SyntheticExport.write(tmp.resolve("run"), "complex", 8, 3);
  }

  static Cli.Result cli(String... args) {
    return Cli.runWithoutSpark(args);
  }

  /** The rows of the command's table: rank, id, name, score. */
  static List<String[]> table(Cli.Result run) {
    assertEquals(0, run.exitCode(), run.err());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(0).startsWith("# "), run.out());
    assertEquals("rank\tid\tname\tscore", lines.get(1));
    List<String[]> rows = new ArrayList<>();
    for (String line : lines.subList(2, lines.size())) {
      rows.add(line.split("\t"));
    }
    return rows;
  }

  private static void assertTable(List<Hit> expected, List<String[]> rows) {
    assertEquals(expected.size(), rows.size());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(String.valueOf(i + 1), rows.get(i)[0]);
      assertEquals(String.valueOf(expected.get(i).id()), rows.get(i)[1]);
      assertEquals(expected.get(i).name(), rows.get(i)[2]);
      assertEquals(expected.get(i).score(), Double.parseDouble(rows.get(i)[3]), 1e-6);
    }
  }

  @Test
  void nearestNeighboursAndLinkPredictionPrintBruteForceRankings() {
    String dir = export.dir.toString();
    Cli.Result neighbors = cli("neighbors", "--output", dir, "--entity", "e00", "--top", "4");
    assertTrue(
        neighbors
            .out()
            .startsWith(
                "# nearest neighbours of e00 by cosine similarity (complex, dim 8, 12 entities)"),
        neighbors.out());
    assertTable(BruteForce.neighbors(export, 0, 4), table(neighbors));

    Cli.Result tails = cli("neighbors", "--output", dir, "--head", "e03", "--relation", "r2");
    assertTrue(tails.out().startsWith("# tails of (e03, r2, ?) by complex score"), tails.out());
    assertTable(BruteForce.tails(export, 3, 2, 10), table(tails));

    Cli.Result byId =
        cli("neighbors", "--output", dir, "--head", "#3", "--relation", "#2", "--top", "3");
    assertTable(BruteForce.tails(export, 3, 2, 3), table(byId));
  }

  @Test
  void usageErrorsExitTwoAndDataErrorsExitOne() throws Exception {
    String dir = export.dir.toString();
    Cli.Result both =
        cli("neighbors", "--output", dir, "--entity", "e00", "--head", "e01", "--relation", "r0");
    assertEquals(2, both.exitCode(), both.err());
    assertTrue(both.err().contains("mutually exclusive"), both.err());
    Cli.Result headOnly = cli("neighbors", "--output", dir, "--head", "e01");
    assertEquals(2, headOnly.exitCode(), headOnly.err());
    assertTrue(headOnly.err().contains("--relation"), headOnly.err());
    Cli.Result top = cli("neighbors", "--output", dir, "--entity", "e00", "--top", "0");
    assertEquals(2, top.exitCode());
    assertTrue(top.err().contains("--top must be at least 1, got 0"), top.err());

    Cli.Result unknown = cli("neighbors", "--output", dir, "--entity", "e99");
    assertEquals(1, unknown.exitCode());
    assertTrue(unknown.err().startsWith("neighbors: no entity 'e99' in "), unknown.err());
    Cli.Result missing =
        cli("neighbors", "--output", tmp.resolve("absent").toString(), "--entity", "e00");
    assertEquals(1, missing.exitCode());
    assertTrue(
        missing.err().contains("model.json not found: run the export stage first"), missing.err());

    // an embedding of the wrong width: named by file and row
    Path bad = tmp.resolve("bad");
    SyntheticExport.write(bad, "distmult", 8, 4);
    Files.writeString(bad.resolve("model.json"), "{\"model\": \"distmult\", \"dim\": 6}");
    Cli.Result width = cli("neighbors", "--output", bad.toString(), "--entity", "e00");
    assertEquals(1, width.exitCode());
    assertTrue(
        width
            .err()
            .matches(
                "(?s)neighbors: .*entity_embeddings/part-[^:]*\\.parquet: row 0: embedding of 'e\\d\\d' has 8 values, expected 6 \\(model.json\\).*"),
        width.err());
    Files.writeString(bad.resolve("model.json"), "{\"model\": \"hole\", \"dim\": 8}");
    Cli.Result model = cli("neighbors", "--output", bad.toString(), "--entity", "e00");
    assertEquals(1, model.exitCode());
    assertTrue(model.err().contains("unknown model 'hole'"), model.err());
  }

  @Test
  void helpListsTheQueries() {
    Cli.Result help = cli("neighbors", "--help");
    assertEquals(0, help.exitCode());
    for (String option : List.of("--output", "--entity", "--head", "--relation", "--top")) {
      assertTrue(help.out().contains(option), help.out());
    }
  }
}
