package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.config.SecretMasker;

class OverwriteAndManifestTest {
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

  @Test
  void runWritesAManifestWithSecretsMasked() throws Exception {
    Path data = Cli.repoRoot().resolve("data/umls");
    Path out = tmp.resolve("out");
    Path conf =
        Files2.write(
            tmp.resolve("job.conf"),
            "input { train = \""
                + data.resolve("train.txt.gz")
                + "\", valid = \""
                + data.resolve("valid.txt.gz")
                + "\" }\n"
                + "spark.conf { \"spark.hadoop.fs.s3a.secret.key\" = \"AKIA-very-secret\", \"spark.hadoop.fs.s3a.access.key\" = \"ACCESS-ID-123\" }\n");
    Cli.Result result =
        Cli.run(
            "run",
            "--config",
            conf.toString(),
            "--output",
            out.toString(),
            "--test",
            data.resolve("test.txt.gz").toString(),
            "--set",
            "spark.conf.\"spark.kge.test.password\"=hunter2",
            // every stage runs (and logs); small settings keep it short
            "--set",
            "tokenize.anchors=10",
            "--set",
            "train.dim=16",
            "--set",
            "train.round-fraction=1.0",
            "--set",
            "train.validation.every-rounds=0");
    assertEquals(0, result.exitCode(), result.toString());
    for (String secret : new String[] {"AKIA-very-secret", "ACCESS-ID-123", "hunter2"}) {
      assertFalse(result.out().contains(secret), "printed configuration leaks " + secret);
      assertFalse(result.err().contains(secret), "log leaks " + secret);
      assertFalse(
          Files2.read(out.resolve("manifest.json")).contains(secret), "manifest leaks " + secret);
      assertFalse(
          Files2.read(out.resolve("config.conf")).contains(secret), "config.conf leaks " + secret);
    }
    assertTrue(result.out().contains("# effective configuration"), result.toString());

    JsonNode manifest = Files2.json(out.resolve("manifest.json"));
    JsonNode sparkConf = manifest.get("configuration").get("spark").get("conf");
    assertEquals(SecretMasker.MASK, sparkConf.get("spark.hadoop.fs.s3a.secret.key").asText());
    assertEquals(SecretMasker.MASK, sparkConf.get("spark.kge.test.password").asText());
    assertEquals(
        data.resolve("valid.txt.gz").toString(),
        manifest.get("configuration").get("input").get("valid").asText());
    assertEquals(
        data.resolve("test.txt.gz").toString(),
        manifest.get("configuration").get("input").get("test").asText());
    assertEquals(System.getProperty("java.version"), manifest.get("java_version").asText());
    assertEquals(SharedSpark.get().version(), manifest.get("spark_version").asText());
    assertFalse(manifest.get("git_revision").asText().isEmpty());
    assertEquals("0.1.0-SNAPSHOT", manifest.get("spark_kge_version").asText());
    JsonNode ingest = manifest.get("stages").get("ingest");
    assertTrue(ingest.get("seconds").asDouble() > 0, ingest.toString());
    assertEquals(652, ingest.get("counts").get("splits").get("valid").get("triples").asLong());
    assertEquals(135, ingest.get("counts").get("entities").asLong());
    assertEquals(46, ingest.get("counts").get("relations").asLong());
    assertTrue(Files.exists(out.resolve("_stages/ingest.json")));
  }
}
