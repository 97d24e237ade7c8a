package org.sparkkge.jobs.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Tails of log files for failure messages. */
final class Logs {
  private Logs() {}

  static String tail(Path file, int lines) {
    if (!Files.exists(file)) {
      return "--- " + file + ": (no such file)\n";
    }
    try {
      List<String> all =
          List.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n", -1));
      List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
      return "--- " + file + " (last " + last.size() + " lines)\n" + String.join("\n", last) + "\n";
    } catch (IOException e) {
      return "--- " + file + ": cannot read: " + e + "\n";
    }
  }
}
