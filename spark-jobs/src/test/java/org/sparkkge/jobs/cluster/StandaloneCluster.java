package org.sparkkge.jobs.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on 127.0.0.1: one master and N workers, each its own JVM started from
 * the jars of {@code SPARK_HOME/jars} (which the build assembles; no Spark distribution needed).
 * {@link #close()} stops the workers with TERM (they stop their executors), then the master.
 */
final class StandaloneCluster implements AutoCloseable {
  private static final Pattern ALIVE_WORKERS = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
  static final String EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

  private final Path sparkHome;
  private final Path dir;
  private final int masterPort;
  private final int masterWebUiPort;
  private Process master;
  private final List<Process> workers = new ArrayList<>();
  private final List<Path> workerDirs = new ArrayList<>();

  private StandaloneCluster(Path sparkHome, Path dir, int masterPort, int masterWebUiPort) {
    this.sparkHome = sparkHome;
    this.dir = dir;
    this.masterPort = masterPort;
    this.masterWebUiPort = masterWebUiPort;
  }

  /**
   * Starts the cluster and waits until every worker has registered; on failure stops what started.
   */
  static StandaloneCluster start(Path sparkHome, Path dir, int workerCount, Duration timeout)
      throws Exception {
    return start(sparkHome, dir, workerCount, timeout, null);
  }

  /**
   * The same, with every worker advertising one GPU (address "0") found by {@code
   * gpuDiscoveryScript} (deploy/gpu/discover-gpus.sh) through a stand-in nvidia-smi: applications
   * that set spark.executor.resource.gpu.amount get executors with a GPU address, the others are
   * unaffected. Null: workers without GPUs.
   */
  static StandaloneCluster start(
      Path sparkHome, Path dir, int workerCount, Duration timeout, Path gpuDiscoveryScript)
      throws Exception {
    int[] ports = freePorts(2 + workerCount);
    StandaloneCluster cluster = new StandaloneCluster(sparkHome, dir, ports[0], ports[1]);
    // An interrupted build (Ctrl-C, a failsafe timeout) must not leave the cluster's JVMs behind.
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "stop-standalone-cluster"));
    try {
      Files.createDirectories(dir);
      List<String> workerGpus = new ArrayList<>();
      Map<String, String> workerEnv = new HashMap<>();
      if (gpuDiscoveryScript != null) {
        Path fakeSmi = cluster.fakeNvidiaSmi();
        Files.writeString(fakeSmi, "#!/bin/sh\necho 0\n");
        fakeSmi.toFile().setExecutable(true);
        workerEnv.put("SPARK_KGE_FAKE_NVIDIA_SMI", fakeSmi.toString());
        workerGpus.add("-Dspark.worker.resource.gpu.amount=1");
        workerGpus.add("-Dspark.worker.resource.gpu.discoveryScript=" + gpuDiscoveryScript);
      }
      cluster.master =
          cluster.launch(
              "master",
              List.of(),
              Map.of(),
              List.of(
                  "org.apache.spark.deploy.master.Master",
                  "--host",
                  "127.0.0.1",
                  "--port",
                  String.valueOf(ports[0]),
                  "--webui-port",
                  String.valueOf(ports[1])));
      for (int i = 0; i < workerCount; i++) {
        Path workDir = Files.createDirectories(dir.resolve("work-" + (i + 1)));
        cluster.workerDirs.add(workDir);
        cluster.workers.add(
            cluster.launch(
                "worker-" + (i + 1),
                workerGpus,
                workerEnv,
                List.of(
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "1",
                    "--memory",
                    "1g",
                    "--webui-port",
                    String.valueOf(ports[2 + i]),
                    "--work-dir",
                    workDir.toString(),
                    cluster.masterUrl())));
      }
      cluster.awaitAliveWorkers(workerCount, timeout);
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** The stand-in nvidia-smi of workers that advertise a GPU: it lists GPU 0. */
  Path fakeNvidiaSmi() {
    return dir.resolve("fake-nvidia-smi");
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /**
   * The environment every cluster JVM (and the drivers) need: workers build executor commands from
   * it.
   */
  static void sparkEnvironment(Map<String, String> env, Path sparkHome) {
    env.remove("SPARK_CONF_DIR");
    env.remove("HADOOP_CONF_DIR");
    env.put("SPARK_HOME", sparkHome.toString());
    // Without it every executor launch fails with "Cannot find any build directories".
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("DJL_OFFLINE", "true");
  }

  static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * Every JVM of the test is short-lived and works on a tiny graph: C1 only and the serial
   * collector spare the two shared cores the C2 compiler and parallel GC threads.
   */
  static final List<String> LEAN_JVM = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  static List<String> jvmOpens() {
    String opens = System.getProperty("kge.jvm.opens");
    if (opens == null || opens.isBlank()) {
      throw new IllegalStateException(
          "system property kge.jvm.opens is not set (the failsafe configuration sets it)");
    }
    return List.of(opens.trim().split("\\s+"));
  }

  private Process launch(
      String name, List<String> properties, Map<String, String> env, List<String> mainAndArgs)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.add("-Xmx256m");
    command.addAll(LEAN_JVM);
    command.addAll(jvmOpens());
    // The REST submission server would take the fixed port 6066, which parallel builds share.
    command.add("-Dspark.master.rest.enabled=false");
    command.addAll(properties);
    command.add("-cp");
    command.add(sparkHome.resolve("jars") + "/*");
    command.addAll(mainAndArgs);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log(name).toFile());
    sparkEnvironment(builder.environment(), sparkHome);
    builder.environment().putAll(env);
    return builder.start();
  }

  Path log(String name) {
    return dir.resolve(name + ".log");
  }

  private void awaitAliveWorkers(int expected, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterWebUiPort + "/json/"))
            .timeout(Duration.ofSeconds(10))
            .build();
    long deadline = System.nanoTime() + timeout.toNanos();
    int alive = -1;
    while (System.nanoTime() < deadline) {
      checkAlive();
      try {
        Matcher m =
            ALIVE_WORKERS.matcher(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
        alive = m.find() ? Integer.parseInt(m.group(1)) : -1;
        if (alive == expected) {
          return;
        }
      } catch (IOException notListeningYet) {
        // the master's web UI is not up yet
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException(
        "the standalone cluster did not report "
            + expected
            + " alive workers within "
            + timeout.toSeconds()
            + " s (last seen: "
            + alive
            + ")\n"
            + logTails());
  }

  /** Fails with the logs when the master or a worker has died. */
  void checkAlive() {
    if (master != null && !master.isAlive()) {
      throw new IllegalStateException(
          "the Spark master exited with " + master.exitValue() + "\n" + logTails());
    }
    for (int i = 0; i < workers.size(); i++) {
      if (!workers.get(i).isAlive()) {
        throw new IllegalStateException(
            "Spark worker "
                + (i + 1)
                + " exited with "
                + workers.get(i).exitValue()
                + "\n"
                + logTails());
      }
    }
  }

  /** A live executor JVM of the given Spark executor id, launched by one of the workers. */
  Optional<ProcessHandle> executor(String executorId) {
    for (Process worker : workers) {
      for (ProcessHandle child : worker.toHandle().children().toList()) {
        if (isExecutor(child, EXECUTOR_CLASS, executorId)) {
          return Optional.of(child);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Whether {@code process} is the live JVM of Spark executor {@code executorId}, started with the
   * cluster manager's executor backend {@code executorClass}.
   */
  static boolean isExecutor(ProcessHandle process, String executorClass, String executorId) {
    List<String> args = commandLine(process);
    int at = args.indexOf("--executor-id");
    return process.isAlive()
        && args.contains(executorClass)
        && at >= 0
        && at + 1 < args.size()
        && args.get(at + 1).equals(executorId);
  }

  /** /proc/PID/cmdline: complete on Linux, where ProcessHandle.Info may be truncated or empty. */
  private static List<String> commandLine(ProcessHandle process) {
    try {
      String raw = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "cmdline"));
      return List.of(raw.split("\0"));
    } catch (IOException | RuntimeException gone) {
      return List.of();
    }
  }

  /** The last lines of the master, worker and executor logs, for failure messages. */
  String logTails() {
    StringBuilder out = new StringBuilder();
    out.append(Logs.tail(log("master"), 30));
    for (int i = 0; i < workers.size() || i < workerDirs.size(); i++) {
      out.append(Logs.tail(log("worker-" + (i + 1)), 30));
    }
    for (Path workDir : workerDirs) {
      try (var files = Files.walk(workDir)) {
        files
            .filter(p -> p.getFileName().toString().equals("stderr"))
            .sorted()
            .forEach(p -> out.append(Logs.tail(p, 20)));
      } catch (IOException | RuntimeException e) {
        out.append("(cannot list ").append(workDir).append(": ").append(e).append(")\n");
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    List<ProcessHandle> executors = new ArrayList<>();
    for (Process worker : workers) {
      executors.addAll(worker.toHandle().descendants().toList());
      worker.destroy(); // TERM: the worker stops its executors
    }
    for (Process worker : workers) {
      stop(worker);
    }
    for (ProcessHandle executor : executors) {
      executor.destroyForcibly(); // only left when a worker ignored TERM
    }
    if (master != null) {
      master.destroy();
      stop(master);
    }
  }

  private static void stop(Process process) {
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Distinct free ports: all sockets stay open until every port is chosen. */
  private static int[] freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(socket);
        ports[i] = socket.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }
}
