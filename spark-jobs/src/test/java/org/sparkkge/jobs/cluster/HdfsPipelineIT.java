package org.sparkkge.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pipeline on HDFS: a MiniDFSCluster (one NameNode, one DataNode, in this JVM) holds UMLS's
 * input files; a spark-submit driver (local[2], the application jar) reads them from {@code
 * hdfs://} and writes every stage's output, checkpoints included, to an {@code hdfs://} directory.
 * The driver is killed (SIGKILL) once the first training checkpoint is on HDFS, and {@code run
 * --resume} completes the run there. Every stage's datasets and metrics.json then equal those of an
 * uninterrupted run on the local file system.
 */
class HdfsPipelineIT {
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(20);

  private static Path repoRoot;
  private static Path sparkHome;
  private static Path appJar;
  private static Path itDir;
  private static MiniDFSCluster hdfs;
  private static FileSystem fs;

  @BeforeAll
  static void startHdfs() throws Exception {
    repoRoot = Path.of(PipelineRuns.required("kge.repo.root")).toAbsolutePath().normalize();
    sparkHome = Path.of(PipelineRuns.required("kge.spark.home"));
    appJar = Path.of(PipelineRuns.required("kge.app.jar"));
    itDir = Path.of(PipelineRuns.required("kge.it.dir")).resolveSibling("hdfs-it");
    PipelineRuns.deleteRecursively(itDir);
    Files.createDirectories(itDir);
    hdfs = PipelineRuns.startMiniDfs(new Configuration(), itDir.resolve("dfs"));
    fs = hdfs.getFileSystem();
    PipelineRuns.copyUmls(repoRoot, fs, new org.apache.hadoop.fs.Path("/input/umls"));
  }

  @AfterAll
  static void stopHdfs() throws IOException {
    if (fs != null) {
      fs.close();
    }
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  private static List<String> runArgs(String umls, String out) {
    return PipelineRuns.runArgs(repoRoot, umls, out);
  }

  @Test
  void killedRunOnHdfsResumesToTheLocalRunsOutputs() throws Exception {
    String root = fs.getUri().toString();
    String input = root + "/input/umls";
    String out = root + "/runs/umls";
    SparkSubmitDriver onHdfs = submit(runArgs(input, out), "hdfs");
    try {
      PipelineRuns.startLocalReference();
    } catch (IOException | RuntimeException e) {
      onHdfs.kill();
      throw e;
    }
    try {
      org.apache.hadoop.fs.Path firstCheckpoint =
          new org.apache.hadoop.fs.Path(out + "/model/checkpoints/round-00001/_COMPLETE");
      long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
      while (onHdfs.isAlive() && !fs.exists(firstCheckpoint) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(
          onHdfs.isAlive(),
          () ->
              "the HDFS run ended before its first checkpoint could be seen\n"
                  + Logs.tail(onHdfs.log(), 80));
      assertTrue(
          fs.exists(firstCheckpoint),
          () -> "no first checkpoint on HDFS\n" + Logs.tail(onHdfs.log(), 80));
      onHdfs.kill(); // SIGKILL mid-training: no shutdown hooks, no cleanup
      PipelineRuns.awaitLocalReference(RUN_TIMEOUT);
    } finally {
      onHdfs.kill();
    }
    assertFalse(
        fs.exists(new org.apache.hadoop.fs.Path(out + "/_stages/train.json")),
        "a killed run must not mark train complete");

    List<String> resumeArgs = runArgs(input, out);
    resumeArgs.add("--resume");
    SparkSubmitDriver resumed = submit(resumeArgs, "hdfs-resume");
    int exit;
    try {
      exit = resumed.await(RUN_TIMEOUT, () -> "");
    } finally {
      resumed.kill();
    }
    assertEquals(0, exit, () -> "run --resume on HDFS failed\n" + Logs.tail(resumed.log(), 80));
    String log = Files.readString(resumed.log());
    assertTrue(log.contains("train: resuming after round"), () -> Logs.tail(resumed.log(), 80));

    PipelineRuns.checkRunEqualsLocal(
        fs, out, itDir.resolve("out-hdfs"), "HDFS (killed, resumed)", RUN_TIMEOUT);
  }

  private static SparkSubmitDriver submit(List<String> args, String name) throws IOException {
    return SparkSubmitDriver.start(
        sparkHome, appJar, repoRoot, "local[2]", args, itDir.resolve("driver-" + name + ".log"));
  }
}
