package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.config.ConfigLoader;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.io.RunInfo;

/** The commit protocol of docs/outputs.md, without Spark. */
class OutputDirectoryTest {
  @TempDir Path tmp;

  private final RunInfo run =
      RunInfo.of(ConfigLoader.load(null, List.of("input.train=x")), "test-spark");

  private OutputDirectory dir() throws IOException {
    return OutputDirectory.at(tmp.resolve("out").toString(), new Configuration());
  }

  private static void touch(org.apache.hadoop.fs.Path path) throws IOException {
    Files.createDirectories(Path.of(path.toUri()));
    Files.writeString(Path.of(path.toUri()).resolve("part-0"), "data");
  }

  @Test
  void newDirectoryAppearsCompleteOrNotAtAll() throws Exception {
    OutputDirectory out = dir();
    assertThrows(
        IllegalStateException.class,
        () ->
            out.commitNewDirectory(
                "ingest",
                Instant.now(),
                run,
                false,
                staging -> {
                  touch(new org.apache.hadoop.fs.Path(staging, "entities"));
                  throw new IllegalStateException("crash while writing");
                }));
    assertFalse(Files.exists(tmp.resolve("out")));
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(0, left.count(), "the temporary directory is removed after a failure");
    }

    out.commitNewDirectory(
        "ingest",
        Instant.now(),
        run,
        false,
        staging -> {
          touch(new org.apache.hadoop.fs.Path(staging, "entities"));
          return Map.of("entities", 3);
        });
    assertTrue(out.isCommitted());
    assertTrue(out.isStageComplete("ingest"));
    assertTrue(Files.exists(tmp.resolve("out/entities/part-0")));
    assertEquals(
        3, out.readStageMarker("ingest").orElseThrow().get("counts").get("entities").asInt());
    JsonNode manifest = Files2.json(tmp.resolve("out/manifest.json"));
    assertEquals("test-spark", manifest.get("spark_version").asText());
    assertTrue(manifest.get("stages").has("ingest"));
    assertTrue(Files2.read(tmp.resolve("out/config.conf")).contains("ingest"));

    PipelineException refused =
        assertThrows(
            PipelineException.class,
            () -> out.commitNewDirectory("ingest", Instant.now(), run, false, staging -> Map.of()));
    assertEquals(
        "output directory "
            + tmp.resolve("out")
            + " already exists and is not empty (use --overwrite to replace it)",
        refused.getMessage());
  }

  @Test
  void laterStagesAddDatasetsWithAMarker() throws Exception {
    OutputDirectory out = dir();
    PipelineException notIngested =
        assertThrows(
            PipelineException.class,
            () ->
                out.addDatasets(
                    "reduce", Instant.now(), run, List.of("core"), List.of(), staging -> Map.of()));
    assertTrue(
        notIngested.getMessage().contains("holds no completed ingest"), notIngested.getMessage());

    out.commitNewDirectory("ingest", Instant.now(), run, false, staging -> Map.of());
    assertFalse(out.isStageComplete("reduce"));
    assertThrows(
        IOException.class,
        () ->
            out.addDatasets(
                "reduce",
                Instant.now(),
                run,
                List.of("core/entities"),
                List.of(),
                staging -> Map.of()));
    assertFalse(out.isStageComplete("reduce"));
    assertFalse(Files.exists(tmp.resolve("out/_temporary")), "staging is cleaned up");

    out.addDatasets(
        "reduce",
        Instant.now(),
        run,
        List.of("core/entities", "core/triples"),
        List.of(),
        staging -> {
          touch(new org.apache.hadoop.fs.Path(staging, "core/entities"));
          touch(new org.apache.hadoop.fs.Path(staging, "core/triples"));
          return Map.of("core_entities", 10);
        });
    assertTrue(out.isStageComplete("reduce"));
    assertTrue(Files.exists(tmp.resolve("out/core/entities/part-0")));
    assertFalse(Files.exists(tmp.resolve("out/_temporary")));
    JsonNode manifest = Files2.json(tmp.resolve("out/manifest.json"));
    assertTrue(
        manifest.get("stages").has("ingest") && manifest.get("stages").has("reduce"),
        manifest.toString());
    assertEquals(
        10, manifest.get("stages").get("reduce").get("counts").get("core_entities").asInt());

    // A re-run replaces the datasets.
    out.addDatasets(
        "reduce",
        Instant.now(),
        run,
        List.of("core/entities", "core/triples"),
        List.of(),
        staging -> {
          touch(new org.apache.hadoop.fs.Path(staging, "core/entities"));
          Files.createDirectories(
              Path.of(new org.apache.hadoop.fs.Path(staging, "core/triples").toUri()));
          return Map.of("core_entities", 11);
        });
    assertFalse(Files.exists(tmp.resolve("out/core/triples/part-0")));
    assertEquals(
        11, out.readStageMarker("reduce").orElseThrow().get("counts").get("core_entities").asInt());

    // A re-run that writes less deletes the stale dataset instead of leaving it beside the new
    // ones.
    out.addDatasets(
        "reduce",
        Instant.now(),
        run,
        List.of("core/entities"),
        List.of("core/triples"),
        staging -> {
          touch(new org.apache.hadoop.fs.Path(staging, "core/entities"));
          return Map.of("core_entities", 12);
        });
    assertTrue(Files.exists(tmp.resolve("out/core/entities/part-0")));
    assertFalse(Files.exists(tmp.resolve("out/core/triples")), "stale dataset deleted");
    assertTrue(out.isStageComplete("reduce"));
  }

  @Test
  void emptyExistingDirectoryIsAccepted() throws Exception {
    Files.createDirectories(tmp.resolve("out"));
    OutputDirectory out = dir();
    out.commitNewDirectory("ingest", Instant.now(), run, false, staging -> Map.of());
    assertTrue(out.isCommitted());
  }

  @Test
  void configFromFileAndOverrides() throws Exception {
    Path file =
        Files2.write(
            tmp.resolve("my.conf"),
            "input.train = \"a.tsv\"\ningest { format = csv, header = true }\nspark.conf { \"spark.sql.shuffle.partitions\" = 7 }\n");
    Config config =
        ConfigLoader.load(
            file.toFile(),
            List.of(
                "ingest.format=tsv",
                "input.valid=hdfs://nn:8020/kg/valid",
                "ingest.columns=[tail, relation, head]"));
    assertEquals("a.tsv", config.getString("input.train"));
    assertEquals("tsv", config.getString("ingest.format"));
    assertTrue(config.getBoolean("ingest.header"));
    assertEquals("hdfs://nn:8020/kg/valid", config.getString("input.valid"));
    assertEquals(List.of("tail", "relation", "head"), config.getStringList("ingest.columns"));
    assertEquals(7, config.getInt("spark.conf.\"spark.sql.shuffle.partitions\""));
    assertEquals("fail", config.getString("ingest.on-error"));
    UsageException unknown =
        assertThrows(
            UsageException.class,
            () ->
                ConfigLoader.load(
                    Files2.write(tmp.resolve("bad.conf"), "ingest.colums = []").toFile(),
                    List.of()));
    assertTrue(
        unknown
            .getMessage()
            .startsWith("unknown configuration key ingest.colums in " + tmp.resolve("bad.conf")),
        unknown.getMessage());
  }
}
