package org.sparkkge.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The images' Dockerfiles, checked here (no Docker, no hadolint on the build machines) for the
 * rules of hadolint that apply to them: pinned base images, apt-get with -y, without recommends and
 * with its lists removed, pip pinned and without cache, pipefail where a RUN pipes, a non-root last
 * user, every variable declared in the stage that uses it, every COPY source present; and the DJL
 * version the GPU image builds its JNI for is the pom's.
 */
class DockerfilesTest {
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)");

  /** One instruction, continuation lines joined, comments dropped. */
  record Instruction(String keyword, String args, int line) {}

  static List<Instruction> parse(Path dockerfile) throws IOException {
    List<Instruction> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int start = 0;
    List<String> lines = Files.readAllLines(dockerfile);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.startsWith("#") || (line.isEmpty() && current.isEmpty())) {
        continue;
      }
      if (current.isEmpty()) {
        start = i + 1;
      }
      boolean continued = line.endsWith("\\");
      current.append(continued ? line.substring(0, line.length() - 1) : line).append(' ');
      if (!continued) {
        String text = current.toString().strip();
        int space = text.indexOf(' ');
        out.add(
            new Instruction(
                text.substring(0, space).toUpperCase(), text.substring(space + 1), start));
        current.setLength(0);
      }
    }
    return out;
  }

  static List<Path> dockerfiles() throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> dir =
        Files.newDirectoryStream(Processes.repoRoot().resolve("deploy/docker"), "Dockerfile*")) {
      dir.forEach(files::add);
    }
    files.sort(null);
    assertEquals(2, files.size(), files::toString);
    return files;
  }

  @Test
  void everyDockerfileFollowsTheLintRules() throws IOException {
    for (Path file : dockerfiles()) {
      List<Instruction> instructions = parse(file);
      String name = Processes.repoRoot().relativize(file).toString();
      Map<String, String> globalArgs = new HashMap<>();
      Set<String> stageVariables = null;
      boolean pipefail = false;
      String lastUser = "root";
      for (Instruction in : instructions) {
        String where = name + ":" + in.line() + " " + in.keyword() + " " + in.args();
        switch (in.keyword()) {
          case "ARG" -> {
            String[] kv = in.args().split("=", 2);
            if (stageVariables == null) {
              globalArgs.put(kv[0], kv.length > 1 ? kv[1] : "");
            } else {
              stageVariables.add(kv[0]);
            }
          }
          case "FROM" -> {
            String image = in.args().split("\\s+")[0];
            Matcher v = VARIABLE.matcher(image);
            String resolved = v.find() ? globalArgs.get(v.group(1)) : image;
            assertTrue(resolved != null, where + ": image variable not declared before FROM");
            // DL3006/DL3007: a base image with a tag, not latest
            assertTrue(
                resolved.contains(":") && !resolved.endsWith(":latest"),
                where + ": pin the base image's tag (" + resolved + ")");
            stageVariables = new HashSet<>(); // an ARG before FROM is not visible in the stage
            pipefail = false;
            lastUser = "root";
          }
          case "SHELL" -> pipefail = in.args().contains("pipefail");
          case "USER" -> lastUser = in.args().strip();
          case "ENV" -> {
            checkVariables(in, stageVariables, where);
            Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=").matcher(in.args());
            while (m.find()) {
              stageVariables.add(m.group(1));
            }
          }
          case "RUN" -> {
            checkVariables(in, stageVariables, where);
            String run = in.args();
            if (run.contains("apt-get install")) {
              assertTrue(run.contains("-y"), where + ": apt-get install -y (DL3014)");
              assertTrue(
                  run.contains("--no-install-recommends"),
                  where + ": apt-get install --no-install-recommends (DL3015)");
              assertTrue(
                  run.contains("rm -rf /var/lib/apt/lists"),
                  where + ": remove the apt lists in the same RUN (DL3009)");
            }
            if (run.contains("pip install")) {
              assertTrue(run.contains("--no-cache-dir"), where + ": pip --no-cache-dir (DL3042)");
              assertTrue(run.contains("=="), where + ": pin pip packages (DL3013)");
            }
            if (Pattern.compile("[^|]\\|[^|]").matcher(run).find()) {
              assertTrue(pipefail, where + ": a pipe needs SHELL with -o pipefail (DL4006)");
            }
            assertFalse(run.contains("sudo"), where + ": no sudo (DL3004)");
          }
          case "COPY" -> {
            checkVariables(in, stageVariables, where);
            if (!in.args().contains("--from=")) {
              List<String> words = new ArrayList<>(List.of(in.args().split("\\s+")));
              words.removeIf(w -> w.startsWith("--"));
              for (String source : words.subList(0, words.size() - 1)) {
                checkCopySource(source, where);
              }
            }
          }
          default -> {}
        }
      }
      assertFalse(
          lastUser.equals("root") || lastUser.equals("0"), name + ": last USER is root (DL3002)");
    }
  }

  private static void checkVariables(Instruction in, Set<String> declared, String where) {
    Matcher m = VARIABLE.matcher(in.args());
    while (m.find()) {
      String v = m.group(1);
      // variables of the shell inside RUN (lower case) are the script's own
      if (!in.keyword().equals("RUN") || v.equals(v.toUpperCase())) {
        assertTrue(
            declared.contains(v) || v.equals("PATH"),
            where + ": ${" + v + "} is not declared (ARG or ENV) in this stage");
      }
    }
  }

  private static void checkCopySource(String source, String where) throws IOException {
    if (source.equals("spark-jobs/target/spark-kge-app.jar")) {
      return; // the build output the header's mvn command writes
    }
    Path root = Processes.repoRoot();
    if (source.contains("*")) {
      Path dir = root.resolve(source.substring(0, source.lastIndexOf('/')));
      String glob = source.substring(source.lastIndexOf('/') + 1);
      try (DirectoryStream<Path> matches = Files.newDirectoryStream(dir, glob)) {
        assertTrue(matches.iterator().hasNext(), where + ": nothing matches " + source);
      }
    } else {
      assertTrue(Files.exists(root.resolve(source)), where + ": " + source + " does not exist");
    }
  }

  /**
   * The GPU image builds DJL's JNI for the DJL version in the application jar: its DJL_VERSION and
   * the script's default are the pom's djl.version.
   */
  @Test
  void theGpuImageBuildsTheJniForThePomsDjlVersion() throws IOException {
    Path root = Processes.repoRoot();
    Matcher pom =
        Pattern.compile("<djl.version>([^<]+)</djl.version>")
            .matcher(Files.readString(root.resolve("pom.xml")));
    assertTrue(pom.find());
    String djl = pom.group(1);
    String gpu = Files.readString(root.resolve("deploy/docker/Dockerfile.gpu"));
    assertTrue(gpu.contains("ARG DJL_VERSION=" + djl + "\n"), "Dockerfile.gpu's DJL_VERSION");
    assertTrue(
        gpu.contains("build-djl-jni.sh --clone /opt/build/djl --djl-version \"${DJL_VERSION}\""),
        "Dockerfile.gpu builds the JNI with the script");
    String script = Files.readString(root.resolve("deploy/gpu/build-djl-jni.sh"));
    assertTrue(script.contains("\nDJL_VERSION=" + djl + "\n"), "build-djl-jni.sh's default");
  }
}
