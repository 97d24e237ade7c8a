package org.sparkkge.jobs.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs scripts of deploy/ and bin/ as child processes and splits what they print into shell words.
 */
final class Processes {
  record Result(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
  }

  private Processes() {}

  static Path repoRoot() {
    String root = System.getProperty("kge.repo.root");
    if (root == null) {
      throw new IllegalStateException(
          "system property kge.repo.root is not set (Surefire sets it to the repository root)");
    }
    return Path.of(root).toAbsolutePath().normalize();
  }

  /**
   * Runs {@code command} in the repository root; {@code env} entries with a null value are removed.
   */
  static Result run(List<String> command, Map<String, String> env) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(repoRoot().toFile());
    // Variables that would change the printed command on a developer's machine.
    builder.environment().remove("SPARK_HOME");
    builder.environment().remove("SPARK_KGE_JAR");
    builder.environment().remove("CUDA_VISIBLE_DEVICES");
    builder.environment().remove("NVIDIA_VISIBLE_DEVICES");
    env.forEach(
        (key, value) -> {
          if (value == null) {
            builder.environment().remove(key);
          } else {
            builder.environment().put(key, value);
          }
        });
    try {
      Path out = Files.createTempFile("kge-proc", ".out");
      Path err = Files.createTempFile("kge-proc", ".err");
      try {
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new IllegalStateException("timed out after 120 s: " + command);
        }
        return new Result(
            process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Result run(List<String> command) {
    return run(command, Map.of());
  }

  /**
   * Splits one line the way bash would read it, for the quoting bash's {@code printf %q} produces:
   * backslash escapes, '...', $'...' (with \n, \t, \\, \' and \xHH) and "...".
   */
  static List<String> shellWords(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    int i = 0;
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == ' ' || c == '\t' || c == '\n') {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
        i++;
      } else if (c == '\\') {
        if (i + 1 >= line.length()) {
          throw new IllegalArgumentException("dangling backslash in: " + line);
        }
        word.append(line.charAt(i + 1));
        inWord = true;
        i += 2;
      } else if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated quote in: " + line);
        }
        word.append(line, i + 1, end);
        inWord = true;
        i = end + 1;
      } else if (c == '$' && i + 1 < line.length() && line.charAt(i + 1) == '\'') {
        i += 2;
        while (line.charAt(i) != '\'') {
          char d = line.charAt(i);
          if (d == '\\') {
            char e = line.charAt(i + 1);
            switch (e) {
              case 'n' -> word.append('\n');
              case 't' -> word.append('\t');
              case 'x' -> {
                word.append((char) Integer.parseInt(line.substring(i + 2, i + 4), 16));
                i += 2;
              }
              default -> word.append(e);
            }
            i += 2;
          } else {
            word.append(d);
            i++;
          }
        }
        inWord = true;
        i++;
      } else if (c == '"') {
        i++;
        while (line.charAt(i) != '"') {
          if (line.charAt(i) == '\\') {
            i++;
          }
          word.append(line.charAt(i));
          i++;
        }
        inWord = true;
        i++;
      } else {
        word.append(c);
        inWord = true;
        i++;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
