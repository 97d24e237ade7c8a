package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExistingOutputTest {
  @TempDir Path tmp;

  @Test
  void existingOutputIsRefusedUnlessOverwrite() throws Exception {
    Path data = Cli.repoRoot().resolve("data/umls");
    Path out = tmp.resolve("out");
    Files2.write(out.resolve("precious.txt"), "keep me");
    String[] args = {
      "ingest", "--train", data.resolve("train.txt.gz").toString(), "--output", out.toString()
    };
    Cli.Result refused = Cli.run(args);
    assertEquals(1, refused.exitCode(), refused.toString());
    assertTrue(
        refused
            .err()
            .contains(
                "output directory "
                    + out
                    + " already exists and is not empty (use --overwrite to replace it)\n"),
        refused.toString());
    assertTrue(Files.exists(out.resolve("precious.txt")));

    String[] overwrite = {
      "ingest",
      "--train",
      data.resolve("train.txt.gz").toString(),
      "--output",
      out.toString(),
      "--overwrite"
    };
    Cli.Result replaced = Cli.run(overwrite);
    assertEquals(0, replaced.exitCode(), replaced.toString());
    assertFalse(Files.exists(out.resolve("precious.txt")));
    assertTrue(Files.exists(out.resolve("_SUCCESS")));
    assertEquals(
        5216,
        Files2.json(out.resolve("stats.json")).get("splits").get("train").get("triples").asLong());
  }
}
