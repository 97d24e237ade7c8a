package org.sparkkge.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pipeline on S3: an S3-compatible server (S3Mock, in its own JVM) holds UMLS's input files; a
 * spark-submit driver (local[2], the application jar, with hadoop-aws, the AWS SDK and Spark's
 * cloud committers beside Spark as an installation for S3 has them) reads them from {@code s3a://}
 * and writes every stage's output there, committing Spark's writes with the S3A magic committer.
 * The driver is killed (SIGKILL) as soon as a task of the last round's checkpoint write has
 * committed (the magic committer's .pendingset), while the job commit completes the uploads: the
 * previous checkpoint stays complete and readable, the killed one never gets its _COMPLETE marker
 * nor train its stage marker, and {@code run --resume} completes the run from the previous
 * checkpoint. Every stage's datasets and metrics.json then equal those of an uninterrupted run on
 * the local file system.
 */
class S3PipelineIT {
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(20);

  private static Path repoRoot;
  private static Path sparkHome;
  private static Path appJar;
  private static Path cloudJars;
  private static Path itDir;
  private static S3MockServer s3;
  private static FileSystem fs;

  @BeforeAll
  static void startS3() throws Exception {
    repoRoot = Path.of(PipelineRuns.required("kge.repo.root")).toAbsolutePath().normalize();
    sparkHome = Path.of(PipelineRuns.required("kge.spark.home"));
    appJar = Path.of(PipelineRuns.required("kge.app.jar"));
    cloudJars = Path.of(PipelineRuns.required("kge.cloud.jars"));
    itDir = Path.of(PipelineRuns.required("kge.it.dir")).resolveSibling("s3-it");
    PipelineRuns.deleteRecursively(itDir);
    Files.createDirectories(itDir);
    s3 = S3MockServer.start(Path.of(PipelineRuns.required("kge.s3mock.jar")), itDir.resolve("s3"));
    fs = FileSystem.newInstance(java.net.URI.create(s3.uri("")), s3.hadoopConf());
    PipelineRuns.copyUmls(repoRoot, fs, new org.apache.hadoop.fs.Path(s3.uri("input/umls")));
  }

  @AfterAll
  static void stopS3() throws IOException {
    if (fs != null) {
      fs.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void runKilledWhileCommittingACheckpointOnS3ResumesToTheLocalRunsOutputs() throws Exception {
    String input = s3.uri("input/umls");
    String out = s3.uri("runs/umls");
    org.apache.hadoop.fs.Path previous =
        new org.apache.hadoop.fs.Path(out + "/model/checkpoints/round-00001");
    org.apache.hadoop.fs.Path killed =
        new org.apache.hadoop.fs.Path(out + "/model/checkpoints/round-00002");

    SparkSubmitDriver onS3 = submit(PipelineRuns.runArgs(repoRoot, input, out), "s3");
    try {
      PipelineRuns.startLocalReference();
      long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
      // the magic committer's task commits write .pendingset files; the job commit then completes
      // the uploads, making the part files visible, and writes _SUCCESS: kill inside that window
      while (onS3.isAlive() && !committing(list(killed)) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(
          onS3.isAlive(),
          () ->
              "the S3 run ended before its last checkpoint could be seen\n"
                  + Logs.tail(onS3.log(), 80));
      onS3.kill(); // SIGKILL while the checkpoint is written and committed: no cleanup
      onS3.await(Duration.ofSeconds(30), () -> "");
    } finally {
      onS3.kill();
    }
    List<String> seen = list(killed);
    System.out.println(
        "S3: the killed checkpoint held at the kill:\n  " + String.join("\n  ", seen));
    assertFalse(
        fs.exists(new org.apache.hadoop.fs.Path(killed, "_COMPLETE")),
        () -> "the killed checkpoint must not be marked complete: " + seen);
    assertFalse(
        fs.exists(new org.apache.hadoop.fs.Path(out + "/_stages/train.json")),
        "a killed run must not mark train complete");
    // whatever of the killed write is visible has no _SUCCESS unless the whole dataset is there
    for (String dataset : List.of("entities", "shared")) {
      org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(killed, dataset);
      if (fs.exists(new org.apache.hadoop.fs.Path(dir, "_SUCCESS"))) {
        assertTrue(parquetParts(dir) > 0, "a _SUCCESS without data files in " + dir + ": " + seen);
      }
    }
    // the previous checkpoint is untouched and complete
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path(previous, "_COMPLETE")));
    Path previousCopy = itDir.resolve("previous-checkpoint");
    fs.copyToLocalFile(false, previous, new org.apache.hadoop.fs.Path(previousCopy.toUri()), true);
    assertEquals(135, ParquetComparison.countRows(previousCopy.resolve("entities")));

    List<String> resumeArgs = PipelineRuns.runArgs(repoRoot, input, out);
    resumeArgs.add("--resume");
    SparkSubmitDriver resumed = submit(resumeArgs, "s3-resume");
    int exit;
    try {
      exit = resumed.await(RUN_TIMEOUT, () -> "");
    } finally {
      resumed.kill();
    }
    assertEquals(0, exit, () -> "run --resume on S3 failed\n" + Logs.tail(resumed.log(), 80));
    String log = Files.readString(resumed.log());
    assertTrue(log.contains("train: resuming after round 1"), () -> Logs.tail(resumed.log(), 80));

    PipelineRuns.checkRunEqualsLocal(
        fs, out, itDir.resolve("out-s3"), "S3 (killed, resumed)", RUN_TIMEOUT);
  }

  private static SparkSubmitDriver submit(List<String> args, String name) throws IOException {
    return SparkSubmitDriver.start(
        sparkHome,
        List.of(cloudJars),
        s3.sparkConf(),
        appJar,
        repoRoot,
        "local[2]",
        args,
        itDir.resolve("driver-" + name + ".log"));
  }

  /** Every object under {@code dir}, relative to it. */
  private static List<String> list(org.apache.hadoop.fs.Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    if (!fs.exists(dir)) {
      return names;
    }
    RemoteIterator<LocatedFileStatus> files = fs.listFiles(dir, true);
    String prefix = dir.toUri().getPath() + "/";
    while (files.hasNext()) {
      names.add(files.next().getPath().toUri().getPath().replace(prefix, ""));
    }
    return names;
  }

  /**
   * True once a task of the checkpoint's write has committed (a .pendingset) or the job commit has
   * made a file visible (the magic committer's own paths hold only markers and .pending files).
   */
  private static boolean committing(List<String> objects) {
    return objects.stream()
        .anyMatch(
            n ->
                n.endsWith(".pendingset")
                    || (!n.contains("__magic")
                        && (n.endsWith(".parquet") || n.endsWith("_SUCCESS"))));
  }

  private static long parquetParts(org.apache.hadoop.fs.Path dir) throws IOException {
    return list(dir).stream().filter(n -> n.endsWith(".parquet")).count();
  }
}
