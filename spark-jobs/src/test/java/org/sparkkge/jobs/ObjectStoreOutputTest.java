package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.config.ConfigLoader;
import org.sparkkge.jobs.io.HadoopPaths;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.io.RunInfo;

/**
 * The commit protocol on an object store (docs/outputs.md): no staging directory and no rename,
 * datasets written at their final paths, markers last. The store is the local disk under a {@code
 * gs://} scheme ({@link LocalObjectStore}), so the protocol runs without a server.
 */
class ObjectStoreOutputTest {
  @TempDir Path tmp;

  private final RunInfo run =
      RunInfo.of(ConfigLoader.load(null, List.of("input.train=x")), "test-spark");

  /** The local file system answering for gs://bucket/ (paths map to the same local paths). */
  public static final class LocalObjectStore extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("gs://bucket/");
    }

    @Override
    public File pathToFile(org.apache.hadoop.fs.Path path) {
      checkPath(path);
      return new File(path.toUri().getPath());
    }
  }

  private OutputDirectory dir() throws IOException {
    Configuration conf = new Configuration();
    conf.set("fs.gs.impl", LocalObjectStore.class.getName());
    conf.setBoolean("fs.gs.impl.disable.cache", true);
    return OutputDirectory.at("gs://bucket" + tmp.resolve("out"), conf);
  }

  private static Path local(org.apache.hadoop.fs.Path path) {
    return Path.of(path.toUri().getPath());
  }

  private static void touch(org.apache.hadoop.fs.Path dataset) throws IOException {
    Files.createDirectories(local(dataset));
    Files.writeString(local(dataset).resolve("part-0"), "data");
  }

  @Test
  void objectStoreSchemesAreKnown() {
    for (String uri : List.of("s3a://b/x", "gs://b/x", "abfs://c@a.dfs.core.windows.net/x")) {
      assertTrue(HadoopPaths.isObjectStore(new org.apache.hadoop.fs.Path(uri)), uri);
    }
    for (String uri : List.of("hdfs://nn:8020/x", "file:/tmp/x", "/tmp/x")) {
      assertFalse(HadoopPaths.isObjectStore(new org.apache.hadoop.fs.Path(uri)), uri);
    }
  }

  @Test
  void stagesWriteInPlaceAndTheMarkersComeLast() throws Exception {
    OutputDirectory out = dir();
    assertTrue(out.commitsInPlace());
    Path root = tmp.resolve("out");

    // a first stage that fails half way leaves a directory without _SUCCESS, never a staging copy
    assertThrows(
        IllegalStateException.class,
        () ->
            out.commitNewDirectory(
                "ingest",
                Instant.now(),
                run,
                false,
                target -> {
                  assertEquals(root, local(target), "written in place");
                  touch(new org.apache.hadoop.fs.Path(target, "entities"));
                  throw new IllegalStateException("crash while writing");
                }));
    assertFalse(out.isCommitted());
    assertFalse(out.isStageComplete("ingest"));
    assertEquals(List.of("out"), names(tmp), "no temporary sibling");

    out.commitNewDirectory(
        "ingest",
        Instant.now(),
        run,
        true,
        target -> {
          assertFalse(Files.exists(root.resolve("entities")), "the failed attempt is removed");
          touch(new org.apache.hadoop.fs.Path(target, "entities"));
          assertFalse(Files.exists(root.resolve("_SUCCESS")), "_SUCCESS comes last");
          return Map.of("entities", 3);
        });
    assertTrue(out.isCommitted() && out.isStageComplete("ingest"));
    assertTrue(Files.exists(root.resolve("entities/part-0")));

    out.addDatasets(
        "reduce",
        Instant.now(),
        run,
        List.of("core/entities"),
        List.of(),
        target -> {
          touch(new org.apache.hadoop.fs.Path(target, "core/entities"));
          assertFalse(Files.exists(root.resolve("_temporary")), "no staging directory");
          return Map.of("core_entities", 10);
        });
    assertTrue(out.isStageComplete("reduce"));

    // a re-run that fails: the old marker and the old dataset are gone before the writer starts,
    // so what it left is never taken for the complete stage
    assertThrows(
        IllegalStateException.class,
        () ->
            out.addDatasets(
                "reduce",
                Instant.now(),
                run,
                List.of("core/entities"),
                List.of(),
                target -> {
                  assertFalse(out.isStageComplete("reduce"), "marker removed first");
                  assertFalse(Files.exists(root.resolve("core/entities/part-0")));
                  touch(new org.apache.hadoop.fs.Path(target, "core/entities"));
                  throw new IllegalStateException("crash while writing");
                }));
    assertFalse(out.isStageComplete("reduce"));
    assertTrue(out.isStageComplete("ingest"), "other stages keep their markers");
    assertFalse(Files.exists(root.resolve("_temporary")));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
