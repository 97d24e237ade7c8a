package org.sparkkge.jobs;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sparkkge.jobs.cli.Main;

/** Runs the CLI in this JVM (with the shared SparkSession) and captures what it prints. */
public final class Cli {
  public record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
  }

  private Cli() {}

  /** Runs the CLI in this JVM on the shared SparkSession (stages find it through getOrCreate). */
  public static Result run(String... args) {
    SharedSpark.get();
    return runWithoutSpark(args);
  }

  /**
   * Runs the CLI in this JVM without starting Spark first (commands such as neighbors need none).
   */
  public static Result runWithoutSpark(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.execute(args, o, e);
    }
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * {@code ingest} of a dataset folder's train.txt.gz, valid.txt.gz and test.txt.gz into {@code
   * out}; fails the test unless it exits 0.
   */
  public static Result ingest(Path data, Path out) {
    Result result =
        run(
            "ingest",
            "--output",
            out.toString(),
            "--train",
            data.resolve("train.txt.gz").toString(),
            "--valid",
            data.resolve("valid.txt.gz").toString(),
            "--test",
            data.resolve("test.txt.gz").toString());
    if (result.exitCode() != 0) {
      throw new AssertionError("ingest of " + data + " failed: " + result);
    }
    return result;
  }

  /** The shared benchmark datasets beside the repository; a missing folder fails the test. */
  public static Path dataset(String name) {
    String root = System.getProperty("kge.repo.root");
    if (root == null) {
      throw new IllegalStateException(
          "system property kge.repo.root is not set (Surefire sets it to the repository root)");
    }
    Path dir = Path.of(root, "..", "shared", "datasets", name).normalize();
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(
          "dataset folder missing: "
              + dir
              + " (expected ../shared/datasets beside the repository)");
    }
    return dir;
  }

  public static Path repoRoot() {
    return Path.of(System.getProperty("kge.repo.root"));
  }
}
