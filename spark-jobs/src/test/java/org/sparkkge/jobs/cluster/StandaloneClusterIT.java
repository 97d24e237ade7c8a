package org.sparkkge.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.sparkkge.jobs.io.Layout;

/**
 * The pipeline on a real Spark standalone cluster (one master, two workers, each its own JVM on
 * 127.0.0.1, started from the build's SPARK_HOME/jars), submitted with SparkSubmit in client mode
 * with the application jar: UMLS with P = 2 gives the same datasets as the same run on an embedded
 * local[2] Spark; a training run whose executor is killed (kill -9) in the middle of a shard's
 * training task completes with the same result, and so does a tokenize run whose executor is killed
 * in the middle of a Pregel program; with a GPU per executor only the training tasks hold one, and
 * a GPU the CPU libtorch cannot use stops the run with one line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
  // TaskSetManager's INFO line for every task it starts: the stage, and the resources assigned
  // (the line ends after "bytes)" for a task that holds none)
  private static final Pattern TASK_RESOURCES =
      Pattern.compile(
          "Starting task \\S+ in stage (\\d+)\\.\\d+ \\(TID \\d+\\) \\(.*bytes\\)\\s*"
              + "(taskResourceAssignments .*)?$");
  private static final Duration CLUSTER_START = Duration.ofMinutes(4);
  // Generous: the machine's two cores are shared with other builds.
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(25);

  private static Path repoRoot;
  private static Path sparkHome;
  private static Path appJar;
  private static Path itDir;
  private static StandaloneCluster cluster;

  /** The fault-free cluster run of test 1, the starting point of test 2. */
  private static Path clusterOutput;

  @BeforeAll
  static void startCluster() throws Exception {
    repoRoot = Path.of(PipelineRuns.required("kge.repo.root")).toAbsolutePath().normalize();
    sparkHome = Path.of(PipelineRuns.required("kge.spark.home"));
    appJar = Path.of(PipelineRuns.required("kge.app.jar"));
    itDir = Path.of(PipelineRuns.required("kge.it.dir"));
    assertTrue(
        Files.isDirectory(sparkHome.resolve("jars")),
        "SPARK_HOME/jars missing: "
            + sparkHome
            + " (assembled by maven-dependency-plugin at pre-integration-test)");
    PipelineRuns.deleteRecursively(itDir);
    Files.createDirectories(itDir);
    // The workers advertise one GPU each (a stand-in nvidia-smi behind the product's discovery
    // script); only test 4's application asks for it.
    cluster =
        StandaloneCluster.start(
            sparkHome,
            itDir.resolve("cluster"),
            2,
            CLUSTER_START,
            repoRoot.resolve("deploy/gpu/discover-gpus.sh"));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void pipelineOnTheClusterEqualsTheLocalRun() throws Exception {
    Path clusterOut = itDir.resolve("out-cluster");
    SparkSubmitDriver onCluster =
        SparkSubmitDriver.start(
            sparkHome,
            appJar,
            repoRoot,
            cluster.masterUrl(),
            runArgs("run", clusterOut),
            itDir.resolve("driver-cluster-run.log"));
    int clusterExit;
    try {
      // the local run every integration test compares with, started by whichever test needs it
      // first
      PipelineRuns.startLocalReference();
      clusterExit = onCluster.await(RUN_TIMEOUT, cluster::logTails);
    } finally {
      onCluster.kill();
    }
    assertEquals(
        0,
        clusterExit,
        () -> "the cluster run failed\n" + Logs.tail(onCluster.log(), 80) + cluster.logTails());
    Path localOut = PipelineRuns.awaitLocalReference(RUN_TIMEOUT);
    assertTrue(
        Files.readString(onCluster.log()).contains("master " + cluster.masterUrl()),
        "the cluster run did not use the standalone master\n" + Logs.tail(onCluster.log(), 40));
    assertExecutorsRanTasks(onCluster.log());

    List<String> compared =
        PipelineRuns.compareOutputs(
            clusterOut, localOut, PipelineRuns.registeredStages(), "cluster vs local");
    System.out.println("cluster run == local run:\n  " + String.join("\n  ", compared));
    clusterOutput = clusterOut;
  }

  @Test
  @Order(2)
  void trainingSurvivesAKilledExecutorWithTheSameResult() throws Exception {
    assertNotNull(
        clusterOutput,
        "the fault-free cluster run (test 1) did not complete; nothing to retrain from");
    assertTrue(
        PipelineRuns.registeredStages().contains("train"),
        "no train stage registered: " + PipelineRuns.registeredStages());
    // Only train is compared: export and evaluate are functions of its output, and test 1 already
    // compares them between the cluster and the local run.
    rerunWithAKill(
        "train",
        "no shard-training task was lost to the kill",
        driver -> new KillDuringTraining(driver, cluster::executor));
  }

  @Test
  @Order(3)
  void tokenizeSurvivesAKilledExecutorWithTheSameTokens() throws Exception {
    assertNotNull(
        clusterOutput,
        "the fault-free cluster run (test 1) did not complete; nothing to tokenize again");
    // An executor is killed once GraphX's PageRank (the first Pregel program of tokenize) is past
    // its
    // first reliable checkpoint (every 10 supersteps), so its lost partitions must come back from
    // the
    // checkpoint, not the lineage.
    rerunWithAKill(
        "tokenize",
        "no executor was lost to the kill",
        driver -> new KillDuringPregel(driver, cluster, 15));
  }

  /**
   * With a GPU per executor (spark.executor.resource.gpu.amount = 1, nothing per task), only the
   * tasks that run the model hold a GPU (stage-level scheduling): the shard-training tasks of the
   * train stage, the ranking tasks of evaluate; their stages' other Spark stages run without one.
   * The GPU is a stand-in that the CPU libtorch of the application jar cannot use: each such task
   * runs once, and the stage stops with exit code 1 and the one line that names the fix, train
   * before any round completes, evaluate before it writes its metrics.
   */
  @Test
  @Order(4)
  void onlyModelTasksHoldAGpuAndAnUnusableOneStopsTheRunWithOneLine() throws Exception {
    assertNotNull(
        clusterOutput, "the fault-free cluster run (test 1) did not complete; nothing to train on");
    Path out = itDir.resolve("out-gpu-train");
    PipelineRuns.copyRecursively(clusterOutput, out);
    String log = runWithAStandInGpu("train", out);
    String reason = theOneDeviceLine(log, "train: ", "train");
    assertTrue(
        log.contains(
            "train: training, ranking and encoding tasks request 1 GPU and 1 core(s) each"),
        () -> log);
    // the first sub-round's two shard tasks, once each: a device failure is not retried
    String stages = gpuTasksPerStage(log, 2);
    assertFalse(
        Files.exists(out.resolve("model/checkpoints/round-00001/_COMPLETE")),
        "no round completes on an unusable GPU");
    System.out.println("GPU scheduling on the cluster: " + stages + "; the run stopped: " + reason);

    Path evaluated = itDir.resolve("out-gpu-evaluate");
    PipelineRuns.copyRecursively(clusterOutput, evaluated);
    byte[] metrics = Files.readAllBytes(evaluated.resolve(Layout.METRICS_JSON));
    String evaluateLog = runWithAStandInGpu("evaluate", evaluated);
    String evaluateReason = theOneDeviceLine(evaluateLog, "evaluate: ", "evaluate");
    // the ranking tasks, one per query group, none retried ("Lost task" above)
    String evaluateStages = gpuTasksPerStage(evaluateLog, 0);
    assertArrayEquals(
        metrics,
        Files.readAllBytes(evaluated.resolve(Layout.METRICS_JSON)),
        "the earlier evaluation stays as it was");
    System.out.println(
        "GPU scheduling of evaluate: " + evaluateStages + "; it stopped: " + evaluateReason);

    // The node check of the images and NodeManagers says the same before any job: the node lists
    // a GPU, libtorch sees none; the CPU still trains.
    Path doctorLog = itDir.resolve("doctor.log");
    ProcessBuilder doctor =
        new ProcessBuilder(
                repoRoot.resolve("deploy/gpu/doctor").toString(),
                "--nvidia-smi",
                cluster.fakeNvidiaSmi().toString(),
                "--steps",
                "2",
                "--set",
                "train.dim=16",
                "--set",
                "train.batch-size=100")
            .redirectErrorStream(true)
            .redirectOutput(doctorLog.toFile());
    StandaloneCluster.sparkEnvironment(doctor.environment(), sparkHome);
    doctor.environment().put("SPARK_KGE_JAR", appJar.toString());
    Process check = doctor.start();
    assertTrue(check.waitFor(5, TimeUnit.MINUTES), "doctor did not finish");
    String report = Files.readString(doctorLog);
    assertEquals(1, check.exitValue(), report);
    assertTrue(report.contains("gpus listed by nvidia-smi: 1"), report);
    assertTrue(report.contains("doctor: libtorch 2.7.1 sees 0 GPU(s), nvidia-smi lists 1"), report);
    assertTrue(report.lines().anyMatch(l -> l.startsWith("cpu() ")), report);
  }

  /**
   * Runs {@code stage} again on the cluster over a copy of the fault-free run's output, with an
   * executor killed by the given watcher; the stage must complete with the same datasets.
   */
  private void rerunWithAKill(
      String stage, String notLanded, Function<SparkSubmitDriver, ExecutorKill> watcher)
      throws Exception {
    Path out = itDir.resolve("out-kill-" + stage);
    PipelineRuns.copyRecursively(clusterOutput, out);
    SparkSubmitDriver driver =
        SparkSubmitDriver.start(
            sparkHome,
            appJar,
            repoRoot,
            cluster.masterUrl(),
            runArgsOverwrite(stage, out),
            itDir.resolve("driver-kill-" + stage + ".log"));
    ExecutorKill kill = watcher.apply(driver);
    int exit;
    try {
      kill.watch(RUN_TIMEOUT);
      exit = driver.await(RUN_TIMEOUT, cluster::logTails);
    } finally {
      driver.kill();
    }
    assertEquals(
        0,
        exit,
        () ->
            stage
                + " after the executor kill failed\n"
                + Logs.tail(driver.log(), 80)
                + cluster.logTails());
    assertTrue(kill.landed(), () -> notLanded + ": " + kill.summary());
    System.out.println("executor kill during " + stage + ": " + kill.summary());
    List<String> compared =
        PipelineRuns.compareOutputs(
            out, clusterOutput, List.of(stage), "killed-executor " + stage + " vs cluster run");
    System.out.println(
        "killed-executor "
            + stage
            + " == fault-free cluster run:\n  "
            + String.join("\n  ", compared));
  }

  /**
   * Watches the driver's log of a graph stage and, once a Pregel program has finished the given
   * superstep, kills (SIGKILL) the executor that started the latest task; the kill has landed when
   * the driver reports that executor lost.
   */
  static final class KillDuringPregel implements ExecutorKill {
    private static final Pattern SUPERSTEP = Pattern.compile("Pregel finished iteration (\\d+)");
    private static final Pattern STARTED =
        Pattern.compile(
            "Starting task \\S+ in stage \\S+ \\(TID \\d+\\) \\([^,]*,\\s*executor (\\S+?),");

    private final SparkSubmitDriver driver;
    private final StandaloneCluster cluster;
    private final int afterSuperstep;
    private int superstep = -1;
    private String lastExecutor;
    private String killed;
    private boolean landed;
    private String lostLine = "";

    KillDuringPregel(SparkSubmitDriver driver, StandaloneCluster cluster, int afterSuperstep) {
      this.driver = driver;
      this.cluster = cluster;
      this.afterSuperstep = afterSuperstep;
    }

    @Override
    public void watch(Duration timeout) throws Exception {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (driver.isAlive() && System.nanoTime() < deadline && !landed) {
        for (String line : driver.newLines()) {
          read(line);
        }
        if (killed == null && superstep >= afterSuperstep && lastExecutor != null) {
          Optional<ProcessHandle> executor = cluster.executor(lastExecutor);
          if (executor.isPresent()) {
            killed =
                lastExecutor + " (pid " + executor.get().pid() + ") after superstep " + superstep;
            executor.get().destroyForcibly();
          }
        }
        Thread.sleep(25);
      }
      for (String line : driver.newLines()) {
        read(line);
      }
    }

    private void read(String line) {
      Matcher m;
      if ((m = SUPERSTEP.matcher(line)).find()) {
        superstep = Math.max(superstep, Integer.parseInt(m.group(1)));
      } else if ((m = STARTED.matcher(line)).find()) {
        lastExecutor = m.group(1);
      } else if (killed != null
          && line.contains("Lost executor " + killed.substring(0, killed.indexOf(' ')) + " ")) {
        landed = true;
        lostLine = line.trim();
      }
    }

    @Override
    public boolean landed() {
      return landed;
    }

    @Override
    public String summary() {
      return killed == null
          ? "no kill (last Pregel superstep seen: " + superstep + ")"
          : "killed executor "
              + killed
              + (landed ? "; " + lostLine : "; the driver did not report it lost");
    }
  }

  private static List<String> runArgs(String stage, Path out) {
    return PipelineRuns.umlsArgs(
        repoRoot, repoRoot.resolve("data/umls").toString(), stage, out.toString());
  }

  /**
   * Runs {@code stage} over {@code out} on the cluster with a GPU per executor that the CPU
   * libtorch cannot use; it must exit with code 1. Returns the driver's log.
   */
  private static String runWithAStandInGpu(String stage, Path out) throws Exception {
    SparkSubmitDriver driver =
        SparkSubmitDriver.start(
            sparkHome,
            List.of(),
            List.of("spark.executor.resource.gpu.amount=1"),
            appJar,
            repoRoot,
            cluster.masterUrl(),
            runArgsOverwrite(stage, out),
            itDir.resolve("driver-gpu-" + stage + ".log"));
    int exit;
    try {
      exit = driver.await(RUN_TIMEOUT, cluster::logTails);
    } finally {
      driver.kill();
    }
    String log = Files.readString(driver.log());
    assertEquals(1, exit, () -> stage + ": exit code of the run\n" + Logs.tail(driver.log(), 80));
    assertFalse(log.contains("Lost task"), () -> stage + ": a task failed\n" + log);
    return log;
  }

  /** The one log line, starting with {@code prefix}, of the device check; it names the fix. */
  private static String theOneDeviceLine(String log, String prefix, String stage) {
    List<String> reasons =
        log.lines()
            .filter(l -> l.startsWith(prefix) && l.contains("this task was given GPU 0, but"))
            .toList();
    assertEquals(1, reasons.size(), () -> stage + ": one line\n" + log);
    String reason = reasons.get(0);
    assertTrue(
        reason.contains("has no CUDA")
            && reason.contains("PYTORCH_LIBRARY_PATH")
            && reason.contains("deploy/gpu/build-djl-jni.sh")
            && reason.contains("docs/gpu.md"),
        reason);
    return reason;
  }

  /**
   * Whether each Spark stage's tasks held a GPU: every stage all or none, some of each, and {@code
   * gpuTasks} GPU tasks in all (0: any number). Returns the per-stage map as text.
   */
  private static String gpuTasksPerStage(String log, int gpuTasks) {
    Map<String, Set<Boolean>> gpuByStage = new LinkedHashMap<>();
    int held = 0;
    for (String line : log.lines().toList()) {
      Matcher m = TASK_RESOURCES.matcher(line);
      if (m.find()) {
        boolean gpu = m.group(2) != null && m.group(2).contains("gpu");
        gpuByStage.computeIfAbsent(m.group(1), k -> new HashSet<>()).add(gpu);
        held += gpu ? 1 : 0;
      }
    }
    String stages = "task GPU use per stage: " + gpuByStage;
    assertTrue(gpuByStage.values().stream().noneMatch(v -> v.size() > 1), stages);
    assertTrue(gpuByStage.containsValue(Set.of(true)), stages);
    assertTrue(gpuByStage.containsValue(Set.of(false)), stages);
    if (gpuTasks > 0) {
      assertEquals(gpuTasks, held, stages);
    }
    return stages;
  }

  private static List<String> runArgsOverwrite(String stage, Path out) {
    List<String> args = runArgs(stage, out);
    args.add("--overwrite");
    return args;
  }

  /** Spark's executors, not the driver, ran the cluster run's tasks. */
  private static void assertExecutorsRanTasks(Path driverLog) throws IOException {
    String log = Files.readString(driverLog);
    assertTrue(
        log.contains("executor 0") && log.contains("executor 1"),
        "the cluster run's tasks did not run on both executors\n" + Logs.tail(driverLog, 40));
  }
}
