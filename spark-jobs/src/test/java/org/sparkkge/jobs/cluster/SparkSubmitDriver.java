package org.sparkkge.jobs.cluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * One CLI run submitted the way spark-submit does it: {@code java -cp "$SPARK_HOME/jars/*"
 * org.apache.spark.deploy.SparkSubmit --deploy-mode client --class org.sparkkge.jobs.cli.Main
 * spark-kge-app.jar ARGS}, in its own JVM, stdout and stderr in one log file.
 */
final class SparkSubmitDriver {
  /**
   * Settings every test run shares, whatever its cluster manager: offline DJL and lean JVMs on the
   * executors, no UI, few shuffle partitions for tiny data.
   */
  static final List<String> TEST_RUN_CONF =
      List.of(
          // DJL must not try to download anything on the executors either.
          "spark.executorEnv.DJL_OFFLINE=true",
          "spark.executor.extraJavaOptions=-Dai.djl.offline=true "
              + String.join(" ", StandaloneCluster.LEAN_JVM),
          "spark.ui.enabled=false",
          "spark.ui.showConsoleProgress=false",
          "spark.sql.shuffle.partitions=4",
          // Tiny tasks: waiting for a data-local slot costs more than reading remotely.
          "spark.locality.wait=0s");

  /** Executors sized for a 1-core, 1 GiB standalone worker (local runs ignore them). */
  private static final List<String> STANDALONE_SIZING =
      List.of("spark.executor.memory=512m", "spark.executor.cores=1", "spark.cores.max=2");

  private final Process process;
  private final Path log;
  private final String description;
  private long position;
  private final StringBuilder partial = new StringBuilder();

  private SparkSubmitDriver(Process process, Path log, String description) {
    this.process = process;
    this.log = log;
    this.description = description;
  }

  static SparkSubmitDriver start(
      Path sparkHome, Path appJar, Path workingDir, String master, List<String> cliArgs, Path log)
      throws IOException {
    return start(sparkHome, List.of(), List.of(), appJar, workingDir, master, cliArgs, log);
  }

  /**
   * The same, with the jars of {@code extraJarDirs} on the driver's classpath beside Spark's (what
   * an installation adds for a file system such as s3a://) and {@code extraConf} after the shared
   * settings.
   */
  static SparkSubmitDriver start(
      Path sparkHome,
      List<Path> extraJarDirs,
      List<String> extraConf,
      Path appJar,
      Path workingDir,
      String master,
      List<String> cliArgs,
      Path log)
      throws IOException {
    if (!Files.isRegularFile(appJar)) {
      throw new IllegalStateException(
          "application jar missing: " + appJar + " (built by `mvn package` in spark-jobs)");
    }
    List<String> command = new ArrayList<>();
    command.add(StandaloneCluster.javaExecutable());
    command.add("-Xmx768m");
    command.addAll(StandaloneCluster.LEAN_JVM);
    command.addAll(StandaloneCluster.jvmOpens()); // the driver's; executors get them from Spark
    command.add("-Dai.djl.offline=true");
    command.add("-cp");
    StringBuilder classpath = new StringBuilder(sparkHome.resolve("jars") + "/*");
    for (Path dir : extraJarDirs) {
      classpath.append(java.io.File.pathSeparator).append(dir).append("/*");
    }
    command.add(classpath.toString());
    command.add("org.apache.spark.deploy.SparkSubmit");
    command.addAll(List.of("--master", master, "--deploy-mode", "client"));
    for (String conf : Stream.concat(STANDALONE_SIZING.stream(), TEST_RUN_CONF.stream()).toList()) {
      command.addAll(List.of("--conf", conf));
    }
    for (String conf : extraConf) {
      command.addAll(List.of("--conf", conf));
    }
    command.addAll(List.of("--class", "org.sparkkge.jobs.cli.Main", appJar.toString()));
    command.addAll(cliArgs);
    return launch(
        command,
        env -> StandaloneCluster.sparkEnvironment(env, sparkHome),
        workingDir,
        log,
        master + " " + String.join(" ", cliArgs));
  }

  /**
   * Any command that submits a run (a submit script), its environment this JVM's as changed by
   * {@code environment}; stdout and stderr in {@code log}.
   */
  static SparkSubmitDriver launch(
      List<String> command,
      Consumer<Map<String, String>> environment,
      Path workingDir,
      Path log,
      String description)
      throws IOException {
    Files.createDirectories(log.getParent());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(workingDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    environment.accept(builder.environment());
    Process process = builder.start();
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "stop-driver"));
    return new SparkSubmitDriver(process, log, description);
  }

  Path log() {
    return log;
  }

  long pid() {
    return process.pid();
  }

  /** Completes with the exit code when the process ends. */
  java.util.concurrent.CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits for the exit code; a run still going at the timeout is killed and fails with the logs.
   */
  int await(Duration timeout, Supplier<String> otherLogs) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "the driver did not finish within "
              + timeout.toSeconds()
              + " s: "
              + description
              + "\n"
              + Logs.tail(log, 60)
              + otherLogs.get());
    }
    return process.exitValue();
  }

  void kill() {
    process.destroyForcibly();
  }

  /** Complete lines the driver logged since the last call. */
  List<String> newLines() throws IOException {
    List<String> lines = new ArrayList<>();
    if (!Files.exists(log)) {
      return lines;
    }
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      long length = file.length();
      if (length <= position) {
        return lines;
      }
      byte[] bytes = new byte[(int) Math.min(length - position, 16L << 20)];
      file.seek(position);
      file.readFully(bytes);
      position += bytes.length;
      partial.append(new String(bytes, StandardCharsets.UTF_8));
    }
    int newline;
    while ((newline = partial.indexOf("\n")) >= 0) {
      lines.add(partial.substring(0, newline));
      partial.delete(0, newline + 1);
    }
    return lines;
  }

  String describe() {
    return description;
  }
}
