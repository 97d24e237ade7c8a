package org.sparkkge.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every shell script under deploy/, bin/ and .ci/ passes shellcheck (bin/test installs it when
 * missing).
 */
class ShellcheckTest {
  private static boolean isShellScript(Path file) {
    if (file.toString().endsWith(".sh")) {
      return true;
    }
    try {
      String first = Files.readAllLines(file).stream().findFirst().orElse("");
      return first.startsWith("#!") && (first.endsWith("bash") || first.endsWith("/sh"));
    } catch (IOException | UncheckedIOException e) {
      return false; // binary or unreadable: not a script
    }
  }

  static List<Path> scripts() throws IOException {
    List<Path> scripts = new ArrayList<>();
    for (String dir : List.of("deploy", "bin", ".ci")) {
      try (Stream<Path> files = Files.walk(Processes.repoRoot().resolve(dir))) {
        files
            .filter(Files::isRegularFile)
            .filter(ShellcheckTest::isShellScript)
            .sorted()
            .forEach(scripts::add);
      }
    }
    return scripts;
  }

  @Test
  void everyScriptPassesShellcheck() throws IOException {
    Processes.Result version = Processes.run(List.of("sh", "-c", "command -v shellcheck"));
    assertEquals(
        0,
        version.exitCode(),
        "shellcheck is not installed: apt-get install shellcheck (bin/test installs it when missing)");
    List<Path> scripts = scripts();
    List<String> names =
        scripts.stream().map(p -> Processes.repoRoot().relativize(p).toString()).toList();
    assertTrue(
        names.containsAll(
            List.of(
                ".ci/run",
                "bin/spark-kge",
                "bin/test",
                "deploy/gpu/build-djl-jni.sh",
                "deploy/gpu/discover-gpus.sh",
                "deploy/gpu/doctor",
                "deploy/k8s/submit.sh",
                "deploy/lib/submit-common.sh",
                "deploy/yarn/submit.sh")),
        names::toString);
    List<String> command = new ArrayList<>(List.of("shellcheck", "-x", "--severity=style"));
    command.addAll(names);
    Processes.Result result = Processes.run(command);
    assertEquals(0, result.exitCode(), result::toString);
  }

  @Test
  void executableScriptsAreExecutable() throws IOException {
    for (Path script : scripts()) {
      // the libraries the scripts source
      if (!script.getParent().endsWith(Path.of("deploy", "lib"))) {
        assertTrue(
            Files.isExecutable(script),
            script + " must be executable (git update-index --chmod=+x)");
      }
    }
  }
}
