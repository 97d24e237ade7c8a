package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.cli.Main;

/** kill -9 of the CLI while it writes never leaves an output that looks complete. */
class AtomicCommitTest {
  @TempDir Path tmp;

  @Test
  void killedIngestLeavesNoCompletedLookingOutput() throws Exception {
    Path data = Cli.dataset("fb15k-237");
    Path out = tmp.resolve("out");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The same module-opening flags Surefire gave this JVM (root pom: spark.jvm.opens).
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-")
          || arg.startsWith("-XX:+IgnoreUnrecognizedVMOptions")
          || arg.startsWith("-Djdk.reflect")
          || arg.startsWith("-Dio.netty")
          || arg.startsWith("--enable-native-access")) {
        command.add(arg);
      }
    }
    command.addAll(
        List.of(
            "-Xmx1g",
            "-Dspark.ui.enabled=false",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "ingest",
            "--master",
            "local[2]",
            "--train",
            data.resolve("train.txt.gz").toString(),
            "--valid",
            data.resolve("valid.txt.gz").toString(),
            "--test",
            data.resolve("test.txt.gz").toString(),
            "--output",
            out.toString()));
    Process child =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    try {
      Path temporary = null;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      // Wait until the child is writing Parquet into its temporary directory.
      while (child.isAlive() && System.nanoTime() < deadline) {
        temporary = findTemporary(out).orElse(null);
        if (temporary != null && Files.exists(temporary.resolve("entities"))) {
          break;
        }
        Thread.sleep(5);
      }
      assertTrue(
          child.isAlive(),
          "the child ended before it could be killed mid-write:\n"
              + Files2.read(tmp.resolve("child.log")));
      assertTrue(
          temporary != null,
          "no temporary directory appeared:\n" + Files2.read(tmp.resolve("child.log")));
      child.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
      child.waitFor(30, TimeUnit.SECONDS);

      assertFalse(Files.exists(out), "the output directory must not exist after a crash mid-write");
      assertFalse(Files.exists(temporary.resolve("_SUCCESS")));
      assertFalse(
          Files.exists(temporary.resolve("manifest.json")),
          "the leftover temporary directory must not look complete");
      assertTrue(temporary.getFileName().toString().startsWith(".out.tmp-"), temporary.toString());
    } finally {
      child.destroyForcibly();
    }
  }

  private static Optional<Path> findTemporary(Path out) throws Exception {
    try (Stream<Path> siblings = Files.list(out.getParent())) {
      return siblings
          .filter(p -> p.getFileName().toString().startsWith("." + out.getFileName() + ".tmp-"))
          .findFirst();
    }
  }
}
