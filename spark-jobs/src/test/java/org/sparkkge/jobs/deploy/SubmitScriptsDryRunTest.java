package org.sparkkge.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs deploy/yarn/submit.sh and deploy/k8s/submit.sh with --dry-run and checks every word they
 * print.
 */
class SubmitScriptsDryRunTest {
  private static final Path ROOT = Processes.repoRoot();
  private static final String YARN = ROOT.resolve("deploy/yarn/submit.sh").toString();
  private static final String K8S = ROOT.resolve("deploy/k8s/submit.sh").toString();
  private static final String DEFAULT_JAR =
      ROOT.resolve("spark-jobs/target/spark-kge-app.jar").toString();
  private static final String DISCOVERY = ROOT.resolve("deploy/gpu/discover-gpus.sh").toString();
  private static final String TEMPLATES = ROOT.resolve("deploy/k8s").toString();

  @TempDir Path tmp;

  private static List<String> dryRun(String script, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of(script));
    command.addAll(Arrays.asList(args));
    Processes.Result result = Processes.run(command, env);
    assertEquals(0, result.exitCode(), result::toString);
    assertEquals("", result.err(), result::toString);
    String[] lines = result.out().split("\n");
    assertEquals(1, lines.length, () -> "one command line expected\n" + result);
    return Processes.shellWords(lines[0]);
  }

  private static List<String> dryRun(String script, String... args) {
    return dryRun(script, Map.of(), args);
  }

  private static List<String> words(String... words) {
    return new ArrayList<>(Arrays.asList(words));
  }

  /** YARN cluster mode's driver gets NativeMemory's settings from the submit script. */
  private static List<String> driverNativeMemoryConfs() {
    List<String> confs = new ArrayList<>();
    org.sparkkge.jobs.spark.NativeMemory.SETTINGS.forEach(
        (name, value) -> {
          confs.add("--conf");
          confs.add("spark.yarn.appMasterEnv." + name + "=" + value);
        });
    return confs;
  }

  private static List<String> offlineConfs() {
    return words(
        "--conf", "spark.executor.extraJavaOptions=-Dai.djl.offline=true",
        "--conf", "spark.driver.extraJavaOptions=-Dai.djl.offline=true",
        "--conf", "spark.executorEnv.DJL_OFFLINE=true");
  }

  @Test
  void yarnCpuClusterModeShipsTheConfigurationAndPassesItsBareName() throws IOException {
    Path config = Files.writeString(tmp.resolve("my run.conf"), "train.epochs = 1\n");
    List<String> actual =
        dryRun(
            YARN,
            "--dry-run",
            "--config",
            config.toString(),
            "ingest",
            "--train",
            "hdfs:///raw/train.tsv.gz",
            "--output",
            "hdfs:///kge/2026-11-26",
            "--set",
            "ingest.on-error=skip");

    List<String> expected =
        words(
            "spark-submit",
            "--master",
            "yarn",
            "--deploy-mode",
            "cluster",
            "--name",
            "spark-kge-ingest",
            "--class",
            "org.sparkkge.jobs.cli.Main",
            "--num-executors",
            "2",
            "--executor-memory",
            "8g",
            "--executor-cores",
            "4",
            "--driver-memory",
            "4g",
            "--files",
            DISCOVERY + "," + config,
            "--conf",
            "spark.yarn.maxAppAttempts=1",
            "--conf",
            "spark.yarn.appMasterEnv.DJL_OFFLINE=true");
    expected.addAll(driverNativeMemoryConfs());
    expected.addAll(offlineConfs());
    expected.addAll(
        words(
            DEFAULT_JAR,
            "ingest",
            "--config",
            "my run.conf",
            "--train",
            "hdfs:///raw/train.tsv.gz",
            "--output",
            "hdfs:///kge/2026-11-26",
            "--set",
            "ingest.on-error=skip"));
    assertEquals(expected, actual);
  }

  @Test
  void yarnGpuClientModeWithKerberosQueueAndLibtorch() {
    List<String> actual =
        dryRun(
            YARN,
            Map.of("SPARK_HOME", "/opt/spark"),
            "--dry-run",
            "--deploy-mode",
            "client",
            "--queue",
            "ml",
            "--principal",
            "kge@EXAMPLE.COM",
            "--keytab",
            "/etc/security/kge.keytab",
            "--gpus-per-executor",
            "2",
            "--libtorch-dir",
            "/opt/libtorch/lib",
            "--num-executors",
            "8",
            "--executor-memory",
            "24g",
            "--executor-cores",
            "6",
            "--driver-memory",
            "6g",
            "--name",
            "kge-fb",
            "--jar",
            "/apps/spark-kge-app.jar",
            "--config",
            "/etc/kge/fb.conf",
            "--conf",
            "spark.sql.shuffle.partitions=400",
            "train",
            "--output",
            "hdfs:///kge/fb",
            "--resume");

    List<String> expected =
        words(
            "/opt/spark/bin/spark-submit",
            "--master",
            "yarn",
            "--deploy-mode",
            "client",
            "--name",
            "kge-fb",
            "--class",
            "org.sparkkge.jobs.cli.Main",
            "--num-executors",
            "8",
            "--executor-memory",
            "24g",
            "--executor-cores",
            "6",
            "--driver-memory",
            "6g",
            "--files",
            DISCOVERY + ",/etc/kge/fb.conf",
            "--queue",
            "ml",
            "--principal",
            "kge@EXAMPLE.COM",
            "--keytab",
            "/etc/security/kge.keytab",
            "--conf",
            "spark.yarn.maxAppAttempts=1",
            "--conf",
            "spark.yarn.appMasterEnv.DJL_OFFLINE=true");
    expected.addAll(driverNativeMemoryConfs());
    expected.addAll(offlineConfs());
    expected.addAll(
        words(
            "--conf",
            "spark.executor.resource.gpu.amount=2",
            "--conf",
            "spark.executorEnv.PYTORCH_LIBRARY_PATH=/opt/libtorch/lib",
            "--conf",
            "spark.executorEnv.LD_LIBRARY_PATH=/opt/libtorch/lib",
            "--conf",
            "spark.sql.shuffle.partitions=400",
            "--conf",
            "spark.executor.resource.gpu.discoveryScript=./discover-gpus.sh",
            "--conf",
            "spark.yarn.appMasterEnv.PYTORCH_LIBRARY_PATH=/opt/libtorch/lib",
            // client mode: the driver runs here and reads the configuration where it is
            "/apps/spark-kge-app.jar",
            "train",
            "--config",
            "/etc/kge/fb.conf",
            "--output",
            "hdfs:///kge/fb",
            "--resume"));
    assertEquals(expected, actual);
    assertTrue(
        actual.stream()
            .noneMatch(w -> w.contains("PYTORCH_VERSION") || w.contains("PYTORCH_FLAVOR")),
        actual::toString);
  }

  @Test
  void kubernetesCpuUsesTheCpuTemplateAndMountsTheClaim() {
    List<String> actual =
        dryRun(
            K8S,
            "--dry-run",
            "--api",
            "https://k8s.example:6443",
            "--image",
            "reg/spark-kge:0.1.0-cpu",
            "--data-claim",
            "kge-data",
            "--namespace",
            "ml",
            "--service-account",
            "kge-driver",
            "export",
            "--config",
            "/data/conf/umls.conf",
            "--output",
            "/data/runs/umls");

    List<String> expected =
        words(
            "spark-submit",
            "--master",
            "k8s://https://k8s.example:6443",
            "--deploy-mode",
            "cluster",
            "--name",
            "spark-kge-export",
            "--class",
            "org.sparkkge.jobs.cli.Main",
            "--driver-memory",
            "4g",
            "--executor-memory",
            "8g",
            "--conf",
            "spark.executor.instances=2",
            "--conf",
            "spark.executor.cores=4",
            "--conf",
            "spark.kubernetes.namespace=ml",
            "--conf",
            "spark.kubernetes.container.image=reg/spark-kge:0.1.0-cpu",
            "--conf",
            "spark.kubernetes.authenticate.driver.serviceAccountName=kge-driver",
            "--conf",
            "spark.kubernetes.driver.podTemplateFile=" + TEMPLATES + "/driver-pod.yaml",
            "--conf",
            "spark.kubernetes.driverEnv.DJL_OFFLINE=true",
            "--conf",
            "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName=kge-data",
            "--conf",
            "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path=/data",
            "--conf",
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName=kge-data",
            "--conf",
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path=/data");
    expected.addAll(offlineConfs());
    expected.addAll(
        words(
            "--conf",
            "spark.kubernetes.executor.podTemplateFile=" + TEMPLATES + "/executor-pod.yaml",
            "local:///opt/spark-kge/spark-kge-app.jar",
            "export",
            "--config",
            "/data/conf/umls.conf",
            "--output",
            "/data/runs/umls"));
    assertEquals(expected, actual);
  }

  @Test
  void kubernetesGpuRequestsNvidiaGpusWithTheGpuTemplate() {
    List<String> actual =
        dryRun(
            K8S,
            "--dry-run",
            "--api",
            "k8s://https://10.0.0.1:443",
            "--image",
            "reg/spark-kge:0.1.0-gpu",
            "--gpus-per-executor",
            "1",
            "--libtorch-dir",
            "/opt/libtorch/lib",
            "--data-claim",
            "kge-data",
            "--data-mount",
            "/kg",
            "--config",
            "/kg/conf/fb.conf",
            "train",
            "--output",
            "/kg/runs/fb");

    List<String> expected =
        words(
            "spark-submit",
            "--master",
            "k8s://https://10.0.0.1:443",
            "--deploy-mode",
            "cluster",
            "--name",
            "spark-kge-train",
            "--class",
            "org.sparkkge.jobs.cli.Main",
            "--driver-memory",
            "4g",
            "--executor-memory",
            "8g",
            "--conf",
            "spark.executor.instances=2",
            "--conf",
            "spark.executor.cores=4",
            "--conf",
            "spark.kubernetes.namespace=spark-kge",
            "--conf",
            "spark.kubernetes.container.image=reg/spark-kge:0.1.0-gpu",
            "--conf",
            "spark.kubernetes.authenticate.driver.serviceAccountName=spark-kge",
            "--conf",
            "spark.kubernetes.driver.podTemplateFile=" + TEMPLATES + "/driver-pod.yaml",
            "--conf",
            "spark.kubernetes.driverEnv.DJL_OFFLINE=true",
            "--conf",
            "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName=kge-data",
            "--conf",
            "spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path=/kg",
            "--conf",
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName=kge-data",
            "--conf",
            "spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path=/kg");
    expected.addAll(offlineConfs());
    expected.addAll(
        words(
            "--conf",
            "spark.executor.resource.gpu.amount=1",
            "--conf",
            "spark.executorEnv.PYTORCH_LIBRARY_PATH=/opt/libtorch/lib",
            "--conf",
            "spark.executorEnv.LD_LIBRARY_PATH=/opt/libtorch/lib",
            "--conf",
            "spark.kubernetes.executor.podTemplateFile=" + TEMPLATES + "/executor-pod-gpu.yaml",
            "--conf",
            "spark.executor.resource.gpu.vendor=nvidia.com",
            "--conf",
            "spark.executor.resource.gpu.discoveryScript=/opt/spark-kge/bin/discover-gpus.sh",
            "local:///opt/spark-kge/spark-kge-app.jar",
            "train",
            "--config",
            "/kg/conf/fb.conf",
            "--output",
            "/kg/runs/fb"));
    assertEquals(expected, actual);
  }

  @Test
  void podTemplatesRequestGpusOnlyInTheGpuVariant() throws IOException {
    String cpu = Files.readString(ROOT.resolve("deploy/k8s/executor-pod.yaml"));
    String gpu = Files.readString(ROOT.resolve("deploy/k8s/executor-pod-gpu.yaml"));
    assertTrue(!cpu.contains("nvidia.com/gpu"), "the CPU template must not ask for GPU nodes");
    assertTrue(gpu.contains("key: nvidia.com/gpu"), "the GPU template tolerates GPU nodes");
    assertTrue(
        gpu.contains("name: PYTORCH_LIBRARY_PATH") && gpu.contains("value: /opt/libtorch/lib"));
    for (String template :
        List.of(cpu, gpu, Files.readString(ROOT.resolve("deploy/k8s/driver-pod.yaml")))) {
      // either variable makes DJL try to download libtorch
      assertTrue(
          !template.contains("name: PYTORCH_VERSION")
              && !template.contains("name: PYTORCH_FLAVOR"));
    }
  }

  /** Without --dry-run the script execs spark-submit with exactly the words --dry-run prints. */
  @Test
  void realRunExecsTheSameWordsAsTheDryRun() throws IOException {
    Path argsFile = tmp.resolve("args.txt");
    Path fake = tmp.resolve("fake-spark-submit");
    Files.writeString(fake, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > \"$KGE_ARGS_FILE\"\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    String[] args = {
      "--spark-submit",
      fake.toString(),
      "--conf",
      "spark.app.tag=a b",
      "evaluate",
      "--output",
      "/tmp/out dir"
    };

    List<String> printed = dryRun(YARN, prepend("--dry-run", args));
    Processes.Result result =
        Processes.run(
            Arrays.asList(prepend(YARN, args)), Map.of("KGE_ARGS_FILE", argsFile.toString()));
    assertEquals(0, result.exitCode(), result::toString);
    List<String> executed = new ArrayList<>(List.of(fake.toString()));
    executed.addAll(Files.readAllLines(argsFile, StandardCharsets.UTF_8));
    assertEquals(printed, executed);
    assertTrue(
        executed.contains("spark.app.tag=a b")
            && executed.get(executed.size() - 1).equals("/tmp/out dir"));
  }

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private static void assertUsageError(String script, String message, String... args) {
    List<String> command = new ArrayList<>(List.of(script));
    command.addAll(Arrays.asList(args));
    Processes.Result result = Processes.run(command);
    assertEquals(2, result.exitCode(), result::toString);
    assertEquals("", result.out(), result::toString);
    assertTrue(
        result.err().contains("submit.sh: " + message),
        () -> "expected '" + message + "'\n" + result);
  }

  @Test
  void badOptionsExitTwoWithAMessage() {
    assertUsageError(
        YARN,
        "unknown option: --bogus (see --help)",
        "--dry-run",
        "--bogus",
        "ingest",
        "--output",
        "/o");
    assertUsageError(YARN, "no stage given", "--dry-run");
    assertUsageError(
        YARN,
        "--num-executors expects a positive whole number, got 'x'",
        "--dry-run",
        "--num-executors",
        "x",
        "ingest");
    assertUsageError(
        YARN,
        "--executor-cores expects a positive whole number, got '0'",
        "--dry-run",
        "--executor-cores",
        "0",
        "ingest");
    assertUsageError(
        YARN,
        "--gpus-per-executor expects a whole number, got 'two'",
        "--dry-run",
        "--gpus-per-executor",
        "two",
        "train");
    assertUsageError(
        YARN,
        "--executor-memory expects a size like 8g, got '8 GB'",
        "--dry-run",
        "--executor-memory",
        "8 GB",
        "train");
    assertUsageError(
        YARN,
        "--deploy-mode must be cluster or client, got 'local'",
        "--dry-run",
        "--deploy-mode",
        "local",
        "ingest");
    assertUsageError(
        YARN,
        "--principal and --keytab go together",
        "--dry-run",
        "--principal",
        "kge@EX",
        "ingest");
    assertUsageError(
        YARN,
        "--gpus-per-executor needs --libtorch-dir",
        "--dry-run",
        "--gpus-per-executor",
        "1",
        "train");
    assertUsageError(
        YARN,
        "--conf expects KEY=VALUE, got 'spark.x'",
        "--dry-run",
        "--conf",
        "spark.x",
        "ingest");
    assertUsageError(YARN, "--jar needs a value", "--dry-run", "--jar");
    assertUsageError(
        YARN,
        "configuration file not found: /no/such.conf",
        "--config",
        "/no/such.conf",
        "ingest",
        "--output",
        "/o");
    assertUsageError(
        YARN,
        "--max-app-attempts expects a positive whole number, got '0'",
        "--dry-run",
        "--max-app-attempts",
        "0",
        "ingest");
    assertUsageError(K8S, "--api is required", "--dry-run", "--image", "i", "ingest");
    assertUsageError(K8S, "--image is required", "--dry-run", "--api", "https://k", "ingest");
    assertUsageError(
        K8S, "unknown option: --queue (see --help)", "--dry-run", "--queue", "q", "ingest");
  }

  @Test
  void helpExitsZeroAndNamesEveryOption() {
    for (String script : List.of(YARN, K8S)) {
      Processes.Result result = Processes.run(List.of(script, "--help"));
      assertEquals(0, result.exitCode(), result::toString);
      for (String option :
          List.of("--dry-run", "--gpus-per-executor", "--libtorch-dir", "--config", "--conf")) {
        assertTrue(result.out().contains(option), () -> script + " --help lacks " + option);
      }
    }
  }
}
