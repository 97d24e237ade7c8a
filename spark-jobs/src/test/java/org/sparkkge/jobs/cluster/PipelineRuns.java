package org.sparkkge.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.cli.StageRegistry;
import org.sparkkge.jobs.stage.Stage;

/**
 * What the integration tests share: the UMLS run they submit, the comparison of two runs' outputs
 * (every stage's datasets and metrics.json), and file helpers.
 */
final class PipelineRuns {
  private PipelineRuns() {}

  /** Averaging sums floats in shuffle arrival order, so runs agree to rounding, not bit for bit. */
  static final double FLOAT_TOLERANCE = 1e-4;

  static final double METRIC_TOLERANCE = 1e-6;

  /**
   * Validation MRR per round, ranked on checkpoints that may differ by libtorch's run-to-run noise
   * (~1e-7 per value) where one run retried or resumed tasks: a flipped rank moves it ~1e-4.
   */
  static final double CURVE_TOLERANCE = 1e-3;

  /** Datasets each stage writes (docs/outputs.md); the comparison covers the registered stages. */
  static final Map<String, List<String>> DATASETS = new LinkedHashMap<>();

  static {
    DATASETS.put(
        "ingest",
        List.of("entities", "relations", "triples/train", "triples/valid", "triples/test"));
    DATASETS.put("reduce", List.of("core_numbers", "triples/core", "periphery"));
    DATASETS.put("tokenize", List.of("tokens", "vocab"));
    DATASETS.put("partition", List.of("triples/partitioned"));
    DATASETS.put("train", List.of("model/final/entities", "model/final/shared"));
    DATASETS.put("export", List.of("entity_embeddings", "relation_embeddings"));
    DATASETS.put("evaluate", List.of("evaluation/per_relation"));
  }

  /**
   * The CLI arguments of {@code stage} on UMLS at P = 2 into {@code out}, reading the dataset from
   * {@code umls} (a folder with train/valid/test.txt.gz, local or a Hadoop URI) for run and ingest:
   * the run every integration test makes, so that one local run is the reference of them all.
   */
  static List<String> umlsArgs(Path repoRoot, String umls, String stage, String out) {
    List<String> args =
        new ArrayList<>(
            List.of(stage, "--config", repoRoot.resolve("conf/examples/umls.conf").toString()));
    if (stage.equals("run") || stage.equals("ingest")) {
      args.addAll(
          List.of(
              "--train",
              umls + "/train.txt.gz",
              "--valid",
              umls + "/valid.txt.gz",
              "--test",
              umls + "/test.txt.gz"));
    }
    args.addAll(
        List.of(
            "--output",
            out,
            "--set",
            "partition.shards=2",
            // Same seed and same libtorch threading everywhere; 2 rounds of 3 epochs each: round 1
            // times the training tasks, and round 2's three sub-round jobs give an executor kill
            // three chances; a shard-training task lasts long enough (about a second on an idle
            // core) to be hit in the middle of its training steps.
            "--set",
            "train.seed=42",
            "--set",
            "train.threads=1",
            "--set",
            "train.epochs=6",
            "--set",
            "train.round-fraction=3",
            // one slice per round: the default would cut these rounds into 9 passes whose tasks
            // (about 50 ms) end before the kill can hit one
            "--set",
            "train.bucket-slices=1"));
    return args;
  }

  /** {@link #umlsArgs} of the whole pipeline ({@code run}). */
  static List<String> runArgs(Path repoRoot, String umls, String out) {
    return umlsArgs(repoRoot, umls, "run", out);
  }

  /**
   * Copies UMLS's train, valid and test files from the repository into {@code dir} on {@code fs}.
   */
  static void copyUmls(Path repoRoot, FileSystem fs, org.apache.hadoop.fs.Path dir)
      throws IOException {
    fs.mkdirs(dir);
    for (String split : List.of("train", "valid", "test")) {
      fs.copyFromLocalFile(
          new org.apache.hadoop.fs.Path(repoRoot.resolve("data/umls/" + split + ".txt.gz").toUri()),
          new org.apache.hadoop.fs.Path(dir, split + ".txt.gz"));
    }
  }

  /** A MiniDFSCluster in this JVM, one NameNode and one DataNode storing under {@code dir}. */
  static MiniDFSCluster startMiniDfs(Configuration conf, Path dir) throws IOException {
    MiniDFSCluster hdfs =
        new MiniDFSCluster.Builder(conf, dir.toFile()).numDataNodes(1).format(true).build();
    hdfs.waitActive();
    return hdfs;
  }

  private static Path localReferenceDir;

  /**
   * Starts the uninterrupted local-file-system run of {@link #runArgs} that every integration test
   * compares with, once per build: the two failsafe JVMs share it. The JVM that creates the build's
   * folder (named by kge.build.id, under {@code parent}) starts the run and writes its exit code
   * there when it ends; the other waits for that file. Folders of earlier builds are deleted. The
   * installation, jar, repository and folder come from failsafe's system properties. Returns the
   * run's output directory.
   */
  static synchronized Path startLocalReference() throws IOException {
    if (localReferenceDir == null) {
      Path repoRoot = Path.of(required("kge.repo.root")).toAbsolutePath().normalize();
      Path parent = Path.of(required("kge.it.dir")).resolveSibling("local-reference");
      Files.createDirectories(parent);
      Path dir = parent.resolve("build-" + required("kge.build.id"));
      try (Stream<Path> earlier = Files.list(parent)) {
        for (Path p : earlier.filter(p -> !p.equals(dir)).toList()) {
          deleteRecursively(p);
        }
      }
      try {
        Files.createDirectory(dir);
      } catch (java.nio.file.FileAlreadyExistsException startedByTheOtherJvm) {
        localReferenceDir = dir;
        return dir.resolve("out");
      }
      SparkSubmitDriver driver =
          SparkSubmitDriver.start(
              Path.of(required("kge.spark.home")),
              Path.of(required("kge.app.jar")),
              repoRoot,
              "local[2]",
              runArgs(
                  repoRoot,
                  repoRoot.resolve("data/umls").toString(),
                  dir.resolve("out").toString()),
              dir.resolve("driver.log"));
      writeAtomically(dir.resolve("driver.pid"), String.valueOf(driver.pid()));
      driver
          .onExit()
          .thenAccept(
              exit -> {
                try {
                  writeAtomically(dir.resolve("exit-code"), String.valueOf(exit));
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      localReferenceDir = dir;
    }
    return localReferenceDir.resolve("out");
  }

  /**
   * Waits for the local reference run, whichever JVM started it; fails with its log unless it
   * completed.
   */
  static Path awaitLocalReference(java.time.Duration timeout) throws Exception {
    Path dir;
    synchronized (PipelineRuns.class) {
      assertNotNull(localReferenceDir, "startLocalReference was not called");
      dir = localReferenceDir;
    }
    Path exitCode = dir.resolve("exit-code");
    Path log = dir.resolve("driver.log");
    long deadline = System.nanoTime() + timeout.toNanos();
    long goneSince = 0;
    while (!Files.exists(exitCode)) {
      assertTrue(
          System.nanoTime() < deadline,
          () ->
              "the local reference run did not end within " + timeout + "\n" + Logs.tail(log, 80));
      // a driver gone without an exit code: the JVM that started it ended first
      Path pid = dir.resolve("driver.pid");
      boolean alive =
          !Files.exists(pid)
              || ProcessHandle.of(Long.parseLong(Files.readString(pid).trim()))
                  .map(ProcessHandle::isAlive)
                  .orElse(false);
      if (alive) {
        goneSince = 0;
      } else if (goneSince == 0) {
        goneSince = System.nanoTime();
      } else {
        assertTrue(
            System.nanoTime() - goneSince < 10_000_000_000L,
            () ->
                "the local reference run's driver ended without an exit code\n"
                    + Logs.tail(log, 80));
      }
      Thread.sleep(200);
    }
    String exit = Files.readString(exitCode).trim();
    assertEquals("0", exit, () -> "the local reference run failed\n" + Logs.tail(log, 80));
    return dir.resolve("out");
  }

  /**
   * After a run into {@code out} on {@code fs} ({@code run} says which, e.g. "HDFS (killed,
   * resumed)"): every stage is marked complete, no staging path of a write that never committed is
   * left, and the output, copied to the local {@code copy}, equals the local reference run (every
   * dataset, the validation curve, the metrics). Prints the comparison.
   */
  static void checkRunEqualsLocal(
      FileSystem fs, String out, Path copy, String run, java.time.Duration timeout)
      throws Exception {
    for (String stage : registeredStages()) {
      assertTrue(
          fs.exists(new org.apache.hadoop.fs.Path(out + "/_stages/" + stage + ".json")),
          "stage " + stage + " not marked complete by the " + run + " run");
    }
    List<String> leftovers = new ArrayList<>();
    collectTemporaries(fs, new org.apache.hadoop.fs.Path(out), leftovers);
    assertTrue(leftovers.isEmpty(), "temporary paths left by the " + run + " run: " + leftovers);
    fs.copyToLocalFile(
        false,
        new org.apache.hadoop.fs.Path(out),
        new org.apache.hadoop.fs.Path(copy.toUri()),
        true);
    List<String> compared =
        compareOutputs(
            copy, awaitLocalReference(timeout), registeredStages(), run + " run vs local");
    System.out.println(run + " run == local run:\n  " + String.join("\n  ", compared));
  }

  /**
   * Staging paths of a write that never committed: OutputDirectory's, Spark's and the S3A magic
   * committer's.
   */
  private static void collectTemporaries(
      FileSystem fs, org.apache.hadoop.fs.Path dir, List<String> out) throws IOException {
    for (FileStatus status : fs.listStatus(dir)) {
      String name = status.getPath().getName();
      if (name.startsWith("_temporary") || name.contains(".tmp-") || name.startsWith("__magic")) {
        out.add(status.getPath().toString());
      } else if (status.isDirectory()) {
        collectTemporaries(fs, status.getPath(), out);
      }
    }
  }

  /** Registered stage names, in pipeline order. */
  static List<String> registeredStages() {
    return StageRegistry.pipeline().stream().map(Stage::name).toList();
  }

  /**
   * Compares the datasets of the given stages, and metrics.json's evaluation figures when present.
   */
  static List<String> compareOutputs(Path left, Path right, List<String> stages, String what)
      throws Exception {
    List<String> report = new ArrayList<>();
    try (ParquetComparison comparison = new ParquetComparison()) {
      for (String stage : stages) {
        List<String> datasets = DATASETS.get(stage);
        assertNotNull(datasets, "no comparison defined for the stage " + stage + " (" + what + ")");
        for (String dataset : datasets) {
          report.add(stage + " " + comparison.compare(left, right, dataset, FLOAT_TOLERANCE));
        }
      }
    }
    if (stages.contains("train")) {
      report.add(compareValidationCurves(left.resolve("stats.json"), right.resolve("stats.json")));
    }
    if (stages.contains("evaluate")) {
      report.addAll(
          compareEvaluationMetrics(left.resolve("metrics.json"), right.resolve("metrics.json")));
    }
    return report;
  }

  /**
   * stats.json's validation MRR per round: a resumed run's curve is stitched from the rounds of the
   * killed run's checkpoints and those of the resumed run, and must equal the uninterrupted one.
   */
  private static String compareValidationCurves(Path left, Path right) throws IOException {
    ObjectMapper json = new ObjectMapper();
    JsonNode a = json.readTree(left.toFile()).path("train").path("round_valid_mrr");
    JsonNode b = json.readTree(right.toFile()).path("train").path("round_valid_mrr");
    assertTrue(a.isArray() && a.size() > 0, "no validation curve in " + left + ": " + a);
    assertEquals(a.size(), b.size(), "validation curves of different lengths: " + a + " vs " + b);
    for (int i = 0; i < a.size(); i++) {
      assertTrue(
          a.get(i).isNumber() && b.get(i).isNumber(), "round " + (i + 1) + ": " + a + " vs " + b);
      assertEquals(
          a.get(i).asDouble(),
          b.get(i).asDouble(),
          CURVE_TOLERANCE,
          "valid MRR of round " + (i + 1));
    }
    return "stats.json train.round_valid_mrr = " + a + " in both (within " + CURVE_TOLERANCE + ")";
  }

  /**
   * Every number of metrics.json's evaluation section (MRR, Hits@k, per relation), timings aside.
   */
  private static List<String> compareEvaluationMetrics(Path left, Path right) throws IOException {
    ObjectMapper json = new ObjectMapper();
    JsonNode a = json.readTree(left.toFile()).path("evaluation");
    JsonNode b = json.readTree(right.toFile()).path("evaluation");
    assertTrue(
        a.isObject() && b.isObject(),
        "metrics.json has no evaluation section: " + left + ", " + right);
    Map<String, Double> numbersA = new LinkedHashMap<>();
    Map<String, Double> numbersB = new LinkedHashMap<>();
    numbers("", a, numbersA);
    numbers("", b, numbersB);
    assertEquals(
        numbersA.keySet(),
        numbersB.keySet(),
        "metrics.json evaluation sections differ in their keys");
    assertTrue(
        numbersA.keySet().stream().anyMatch(k -> k.toLowerCase(Locale.ROOT).contains("mrr")),
        "metrics.json evaluation section has no MRR: " + numbersA.keySet());
    List<String> report = new ArrayList<>();
    for (Map.Entry<String, Double> e : numbersA.entrySet()) {
      double other = numbersB.get(e.getKey());
      assertTrue(
          Math.abs(e.getValue() - other) <= METRIC_TOLERANCE,
          "metrics.json evaluation" + e.getKey() + ": " + e.getValue() + " vs " + other);
      if (e.getKey().matches("\\.[^.]*(mrr|hits)[^.]*")
          || e.getKey().matches("\\.overall\\.[^.]*")) {
        report.add("metrics.json evaluation" + e.getKey() + " = " + e.getValue());
      }
    }
    report.add(
        "metrics.json evaluation: "
            + numbersA.size()
            + " numbers equal within "
            + METRIC_TOLERANCE);
    return report;
  }

  private static void numbers(String path, JsonNode node, Map<String, Double> out) {
    if (node.isNumber()) {
      String key = path.toLowerCase(Locale.ROOT);
      if (!key.contains("second") && !key.contains("time") && !key.contains("millis")) {
        out.put(path, node.asDouble());
      }
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        numbers(path + "." + field.getKey(), field.getValue(), out);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        numbers(path + "[" + i + "]", node.get(i), out);
      }
    }
  }

  static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          "system property "
              + property
              + " is not set (the failsafe configuration in spark-jobs/pom.xml sets it)");
    }
    return value;
  }

  /** Writes {@code text} to a temporary file beside {@code file}, then renames it into place. */
  private static void writeAtomically(Path file, String text) throws IOException {
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(temporary, text);
    Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  static void copyRecursively(Path from, Path to) throws IOException {
    deleteRecursively(to);
    Files2.copyTree(from, to);
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
