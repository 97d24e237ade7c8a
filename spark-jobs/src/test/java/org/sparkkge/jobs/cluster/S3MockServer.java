package org.sparkkge.jobs.cluster;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;

/**
 * An S3-compatible server for the tests: Adobe's S3Mock (its executable jar, copied by the build)
 * in its own JVM on a free port, one bucket, objects under a local folder. What a client needs to
 * reach it through s3a:// comes as Hadoop settings ({@link #s3aSettings}): path-style requests to
 * the local endpoint, plain HTTP, any key pair, and the S3A magic committer.
 */
final class S3MockServer implements AutoCloseable {
  static final String BUCKET = "kge";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final Process process;
  private final int port;
  private final Path log;

  private S3MockServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  static S3MockServer start(Path jar, Path dir) throws IOException, InterruptedException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "S3Mock's jar is missing: " + jar + " (copied by `mvn verify` in spark-jobs)");
    }
    Files.createDirectories(dir.resolve("objects"));
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path log = dir.resolve("s3mock.log");
    List<String> command = new ArrayList<>();
    command.add(StandaloneCluster.javaExecutable());
    command.add("-Xmx384m");
    command.addAll(StandaloneCluster.LEAN_JVM);
    command.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "--com.adobe.testing.s3mock.httpPort=" + port,
            "--server.port=0", // its HTTPS port: any free one, unused
            "--com.adobe.testing.s3mock.domain.initialBuckets=" + BUCKET,
            "--com.adobe.testing.s3mock.domain.root=" + dir.resolve("objects"),
            "--spring.main.banner-mode=off"));
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "stop-s3mock"));
    S3MockServer server = new S3MockServer(process, port, log);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!server.answers()) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        server.close();
        throw new IllegalStateException(
            "S3Mock did not start on port " + port + "\n" + Logs.tail(log, 40));
      }
      Thread.sleep(200);
    }
    return server;
  }

  /** True once the server lists its buckets. */
  private boolean answers() {
    try {
      HttpURLConnection connection =
          (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
      connection.setConnectTimeout(500);
      connection.setReadTimeout(2000);
      try {
        return connection.getResponseCode() == 200;
      } finally {
        connection.disconnect();
      }
    } catch (IOException notYet) {
      return false;
    }
  }

  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** s3a://BUCKET/path */
  String uri(String path) {
    return "s3a://" + BUCKET + "/" + path;
  }

  /**
   * The Hadoop settings that reach this server through s3a:// and commit Spark's writes with the
   * S3A magic committer (docs/deploy.md, "S3"), without the {@code spark.hadoop.} prefix.
   */
  Map<String, String> s3aSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("fs.s3a.endpoint", endpoint());
    s.put("fs.s3a.endpoint.region", "us-east-1");
    s.put("fs.s3a.path.style.access", "true");
    s.put("fs.s3a.connection.ssl.enabled", "false");
    s.put("fs.s3a.access.key", "spark-kge-test");
    s.put("fs.s3a.secret.key", "spark-kge-test-secret");
    s.put("fs.s3a.committer.name", "magic");
    s.put("fs.s3a.committer.magic.enabled", "true");
    s.put(
        "mapreduce.outputcommitter.factory.scheme.s3a",
        "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory");
    return s;
  }

  /** A Hadoop configuration for this JVM's own reads and writes of the bucket. */
  Configuration hadoopConf() {
    Configuration conf = new Configuration();
    s3aSettings().forEach(conf::set);
    return conf;
  }

  /** The same settings as spark-submit --conf values, with Spark's cloud commit protocol. */
  List<String> sparkConf() {
    List<String> conf = new ArrayList<>();
    s3aSettings().forEach((k, v) -> conf.add("spark.hadoop." + k + "=" + v));
    conf.add(
        "spark.sql.sources.commitProtocolClass="
            + "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol");
    conf.add(
        "spark.sql.parquet.output.committer.class="
            + "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter");
    return conf;
  }

  Path log() {
    return log;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
