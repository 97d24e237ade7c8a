package org.sparkkge.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pipeline on YARN, submitted by {@code deploy/yarn/submit.sh}: a MiniYARNCluster (a
 * ResourceManager and one NodeManager, in this JVM) whose file system is a MiniDFSCluster; the
 * gateway's spark-submit and the NodeManager's containers run Spark 4.2.0 with its YARN module
 * (Maven Central has no spark-yarn 4.1; target/yarn-spark-home, named by {@code spark.yarn.jars} as
 * installed on the node); in cluster mode the application jar travels through HDFS. UMLS at P = 2
 * from {@code hdfs://} inputs to an {@code hdfs://} output gives the datasets and metrics of the
 * local run that every integration test compares with: in client mode with one executor's container
 * killed (SIGKILL) in the middle of a training task, and in cluster mode, where the driver runs in
 * the ApplicationMaster's container.
 */
class YarnPipelineIT {
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(20);
  private static final Duration RM_START = Duration.ofMinutes(2);
  private static final String EXECUTOR_CLASS =
      "org.apache.spark.executor.YarnCoarseGrainedExecutorBackend";
  private static final Pattern FINAL_STATUS = Pattern.compile("final status: (\\w+)");

  private static Path repoRoot;
  private static Path sparkHome;
  private static Path yarnSparkHome;
  private static Path appJar;
  private static Path itDir;
  private static MiniDFSCluster hdfs;
  private static MiniYARNCluster yarn;
  private static FileSystem fs;
  private static Path hadoopConfDir;
  private static Path sparkSubmit;

  /** The cluster-mode run, submitted beside the client-mode one: both wait on YARN mostly. */
  private static SparkSubmitDriver clusterModeRun;

  @BeforeAll
  static void startClusters() throws Exception {
    repoRoot = Path.of(PipelineRuns.required("kge.repo.root")).toAbsolutePath().normalize();
    sparkHome = Path.of(PipelineRuns.required("kge.spark.home"));
    yarnSparkHome = Path.of(PipelineRuns.required("kge.yarn.spark.home"));
    appJar = Path.of(PipelineRuns.required("kge.app.jar"));
    itDir = Path.of(PipelineRuns.required("kge.it.dir")).resolveSibling("yarn-it");
    assertTrue(
        Files.isDirectory(yarnSparkHome.resolve("jars")),
        "the YARN test's Spark installation is missing: "
            + yarnSparkHome
            + " (resolved by maven-invoker-plugin at pre-integration-test)");
    PipelineRuns.deleteRecursively(itDir);
    Files.createDirectories(itDir);
    // The reference run goes on beside the clusters' start and the first YARN run.
    PipelineRuns.startLocalReference();

    Configuration conf = new YarnConfiguration();
    hdfs = PipelineRuns.startMiniDfs(conf, itDir.resolve("dfs"));
    fs = hdfs.getFileSystem();
    conf.set("fs.defaultFS", fs.getUri().toString());
    // One NodeManager with room for both applications' containers at once (ApplicationMaster and
    // two executors each, and a replacement); the machine's disk may be fuller than YARN's 90 %.
    // (MiniYARNCluster sets the NodeManager's memory from its own key, 4 GiB by default)
    conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 12288);
    conf.setInt(YarnConfiguration.NM_VCORES, 8);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
    conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
    // The capacity scheduler (YARN's default) with one queue, as capacity-scheduler.xml ships it,
    // but ApplicationMasters may take more than a tenth of this small cluster.
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
    conf.set("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
    // A JVM with libtorch maps far more virtual memory than it uses; physical memory stays checked.
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    yarn = new MiniYARNCluster("spark-kge-yarn-it", 1, 1, 1);
    yarn.init(conf);
    yarn.start();
    Configuration clusterConf = awaitResourceManagerAddress(yarn);

    // What a gateway node has: HADOOP_CONF_DIR with the cluster's addresses (only those: the mini
    // clusters' own settings name test classes), and spark-submit.
    hadoopConfDir = itDir.resolve("hadoop-conf");
    Files.createDirectories(hadoopConfDir);
    writeSite(hadoopConfDir.resolve("core-site.xml"), clusterConf, List.of("fs.defaultFS"));
    writeSite(
        hadoopConfDir.resolve("yarn-site.xml"),
        clusterConf,
        List.of(
            YarnConfiguration.RM_ADDRESS,
            YarnConfiguration.RM_SCHEDULER_ADDRESS,
            YarnConfiguration.RM_ADMIN_ADDRESS,
            YarnConfiguration.RM_WEBAPP_ADDRESS));
    sparkSubmit = writeSparkSubmit(itDir.resolve("bin/spark-submit"));

    PipelineRuns.copyUmls(repoRoot, fs, new org.apache.hadoop.fs.Path("/input/umls"));
    clusterModeRun = submit("cluster", clusterModeOutput());
  }

  private static String clusterModeOutput() {
    return fs.getUri() + "/runs/umls-cluster";
  }

  private static void writeSite(Path file, Configuration from, List<String> keys)
      throws IOException {
    Configuration site = new Configuration(false);
    for (String key : keys) {
      site.set(key, from.get(key));
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      site.writeXml(out);
    }
  }

  /** The ResourceManager binds its ports after start(); its configuration then names them. */
  private static Configuration awaitResourceManagerAddress(MiniYARNCluster cluster)
      throws InterruptedException {
    long deadline = System.nanoTime() + RM_START.toNanos();
    while (System.nanoTime() < deadline) {
      Configuration conf = new Configuration(cluster.getConfig());
      String address = conf.get(YarnConfiguration.RM_ADDRESS, "");
      if (!address.isEmpty() && !address.endsWith(":0")) {
        return conf;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the ResourceManager bound no address within " + RM_START);
  }

  /**
   * spark-submit as a Spark installation has it, reduced to what the submit script needs: Spark's
   * jars and HADOOP_CONF_DIR on the classpath, Java 17's opens.
   */
  private static Path writeSparkSubmit(Path script) throws IOException {
    List<String> java = new ArrayList<>();
    java.add(StandaloneCluster.javaExecutable());
    java.add("-Xmx768m");
    java.addAll(StandaloneCluster.LEAN_JVM);
    java.addAll(StandaloneCluster.jvmOpens());
    java.add("-Dai.djl.offline=true");
    java.add("-cp");
    java.add(hadoopConfDir + ":" + yarnSparkHome.resolve("jars") + "/*");
    java.add("org.apache.spark.deploy.SparkSubmit");
    StringBuilder text = new StringBuilder("#!/usr/bin/env bash\nexec");
    for (String word : java) {
      text.append(" '").append(word.replace("'", "'\\''")).append('\'');
    }
    text.append(" \"$@\"\n");
    Files.createDirectories(script.getParent());
    Files.writeString(script, text);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }

  @AfterAll
  static void stopClusters() throws IOException {
    if (clusterModeRun != null) {
      clusterModeRun.kill();
    }
    if (yarn != null) {
      yarn.stop();
    }
    if (fs != null) {
      fs.close();
    }
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  @Test
  void clientModeRunSurvivesAKilledExecutorContainer() throws Exception {
    String out = fs.getUri() + "/runs/umls-client";
    SparkSubmitDriver driver = submit("client", out);
    KillDuringTraining kill = new KillDuringTraining(driver, YarnPipelineIT::executor);
    int exit;
    try {
      kill.watch(RUN_TIMEOUT);
      exit = driver.await(RUN_TIMEOUT, YarnPipelineIT::containerLogs);
    } finally {
      driver.kill();
    }
    assertEquals(
        0,
        exit,
        () -> "the client-mode run failed\n" + Logs.tail(driver.log(), 80) + containerLogs());
    assertTrue(
        kill.landed(), () -> "no shard-training task was lost to the kill: " + kill.summary());
    System.out.println("executor container killed on YARN: " + kill.summary());
    String log = Files.readString(driver.log());
    assertTrue(
        log.contains("Submitted application application_"), () -> Logs.tail(driver.log(), 80));
    PipelineRuns.checkRunEqualsLocal(
        fs, out, itDir.resolve("out-client"), "YARN client mode (executor killed)", RUN_TIMEOUT);
  }

  @Test
  void clusterModeRunEqualsTheLocalRun() throws Exception {
    String out = clusterModeOutput();
    SparkSubmitDriver driver = clusterModeRun;
    int exit;
    try {
      exit = driver.await(RUN_TIMEOUT, YarnPipelineIT::containerLogs);
    } finally {
      driver.kill();
    }
    String log = Files.readString(driver.log());
    assertEquals(
        0,
        exit,
        () -> "the cluster-mode run failed\n" + Logs.tail(driver.log(), 80) + containerLogs());
    Matcher status = FINAL_STATUS.matcher(log);
    String last = null;
    while (status.find()) {
      last = status.group(1);
    }
    assertEquals("SUCCEEDED", last, () -> "YARN's final status\n" + Logs.tail(driver.log(), 40));
    PipelineRuns.checkRunEqualsLocal(
        fs, out, itDir.resolve("out-cluster"), "YARN cluster mode", RUN_TIMEOUT);
  }

  /**
   * {@code deploy/yarn/submit.sh} with the local reference run's CLI arguments, the configuration
   * file as the script's own option (it ships the file), executors sized for this machine.
   */
  private static SparkSubmitDriver submit(String deployMode, String out) throws IOException {
    String input = fs.getUri() + "/input/umls";
    List<String> cliArgs = PipelineRuns.runArgs(repoRoot, input, out);
    int config = cliArgs.indexOf("--config");
    String configFile = cliArgs.get(config + 1);
    cliArgs.subList(config, config + 2).clear();
    String javaHome = System.getProperty("java.home");
    String lean = String.join(" ", StandaloneCluster.LEAN_JVM);
    List<String> command =
        new ArrayList<>(
            List.of(
                repoRoot.resolve("deploy/yarn/submit.sh").toString(),
                "--spark-submit",
                sparkSubmit.toString(),
                "--deploy-mode",
                deployMode,
                "--config",
                configFile,
                "--name",
                "spark-kge-it-" + deployMode,
                "--num-executors",
                "2",
                "--executor-cores",
                "1",
                "--executor-memory",
                "512m",
                "--driver-memory",
                "768m"));
    List<String> yarnConf =
        List.of(
            // Spark as installed on the NodeManager: the containers read the jars in place.
            "spark.yarn.jars=local:" + yarnSparkHome.resolve("jars") + "/*",
            "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
            "spark.executorEnv.JAVA_HOME=" + javaHome,
            "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1",
            "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
            // libtorch's native memory beside the heap, within the container YARN measures
            "spark.executor.memoryOverhead=768m",
            "spark.driver.memoryOverhead=768m",
            // the driver's JVM in cluster mode, the ApplicationMaster's in client mode
            "spark.driver.extraJavaOptions=-Dai.djl.offline=true " + lean,
            "spark.yarn.am.extraJavaOptions=" + lean,
            // a replacement for the killed executor's container, then the run goes on
            "spark.executor.maxNumFailures=4");
    for (String conf :
        Stream.concat(SparkSubmitDriver.TEST_RUN_CONF.stream(), yarnConf.stream()).toList()) {
      command.addAll(List.of("--conf", conf));
    }
    command.addAll(cliArgs);
    return SparkSubmitDriver.launch(
        command,
        env -> {
          StandaloneCluster.sparkEnvironment(env, yarnSparkHome);
          env.put("HADOOP_CONF_DIR", hadoopConfDir.toString());
          env.put("YARN_CONF_DIR", hadoopConfDir.toString());
        },
        repoRoot,
        itDir.resolve("submit-" + deployMode + ".log"),
        "deploy/yarn/submit.sh --deploy-mode " + deployMode + " " + String.join(" ", cliArgs));
  }

  /** The live JVM of a YARN executor: a container process under this JVM's NodeManager. */
  private static Optional<ProcessHandle> executor(String executorId) {
    return ProcessHandle.current()
        .descendants()
        .filter(p -> StandaloneCluster.isExecutor(p, EXECUTOR_CLASS, executorId))
        .findFirst();
  }

  /** The last lines of every container's stderr (the driver's, in cluster mode), for failures. */
  private static String containerLogs() {
    StringBuilder out = new StringBuilder();
    try (var files = Files.walk(yarn.getTestWorkDir().toPath())) {
      for (Path stderr :
          files
              .filter(p -> p.getFileName().toString().equals("stderr"))
              .filter(p -> p.toString().contains("container_"))
              .sorted()
              .toList()) {
        out.append("\n--- ").append(stderr).append('\n').append(Logs.tail(stderr, 30));
      }
    } catch (IOException e) {
      out.append("\n(container logs unreadable: ").append(e).append(')');
    }
    return out.toString();
  }
}
