package org.sparkkge.jobs.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/gpu/discover-gpus.sh prints Spark's resource JSON from nvidia-smi, the visible-devices
 * variables, or nothing.
 */
class DiscoverGpusTest {
  private static final String SCRIPT =
      Processes.repoRoot().resolve("deploy/gpu/discover-gpus.sh").toString();

  @TempDir Path tmp;

  /** Runs the script; a missing nvidia-smi is simulated by naming one that does not exist. */
  private Map.Entry<String, List<String>> discover(String fakeSmi, Map<String, String> env)
      throws IOException {
    Map<String, String> all = new HashMap<>(env);
    all.put(
        "SPARK_KGE_FAKE_NVIDIA_SMI",
        fakeSmi == null ? tmp.resolve("no-nvidia-smi").toString() : fakeSmi);
    Processes.Result result = Processes.run(List.of(SCRIPT), all);
    assertEquals(0, result.exitCode(), result::toString);
    assertEquals(1, result.out().lines().count(), () -> "one JSON line expected\n" + result);
    JsonNode json = new ObjectMapper().readTree(result.out());
    List<String> addresses = new ArrayList<>();
    json.get("addresses")
        .forEach(
            address -> {
              assertEquals(true, address.isTextual(), "addresses are strings for Spark");
              addresses.add(address.asText());
            });
    assertEquals(2, json.size(), "only name and addresses: " + json);
    return Map.entry(json.get("name").asText(), addresses);
  }

  private Path fakeSmi(String body) throws IOException {
    Path fake = tmp.resolve("nvidia-smi");
    Files.writeString(fake, "#!/usr/bin/env bash\n" + body);
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    return fake;
  }

  @Test
  void nvidiaSmiIndicesWin() throws IOException {
    // Answers only the exact query the script makes, with the padding nvidia-smi's CSV has.
    Path smi =
        fakeSmi(
            "[ \"$*\" = '--query-gpu=index --format=csv,noheader' ] || exit 9\nprintf '0\\n 1\\n2 \\n3\\n'\n");
    assertEquals(
        Map.entry("gpu", List.of("0", "1", "2", "3")),
        discover(smi.toString(), Map.of("CUDA_VISIBLE_DEVICES", "5")));
  }

  @Test
  void failingNvidiaSmiFallsBackToVisibleDevices() throws IOException {
    Path smi =
        fakeSmi(
            "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver' ; exit 9\n");
    assertEquals(
        Map.entry("gpu", List.of("0", "1")),
        discover(smi.toString(), Map.of("CUDA_VISIBLE_DEVICES", "3,5")));
  }

  @Test
  void cudaVisibleDevicesAreRenumberedFromZero() throws IOException {
    assertEquals(
        Map.entry("gpu", List.of("0", "1", "2")),
        discover(null, Map.of("CUDA_VISIBLE_DEVICES", "4,6,7")));
    assertEquals(
        Map.entry("gpu", List.of("0")),
        discover(
            null, Map.of("NVIDIA_VISIBLE_DEVICES", "GPU-8f6a2c1e-0000-1111-2222-333344445555")));
  }

  @Test
  void noGpusGiveAnEmptyList() throws IOException {
    assertEquals(Map.entry("gpu", List.of()), discover(null, Map.of()));
    assertEquals(Map.entry("gpu", List.of()), discover(null, Map.of("CUDA_VISIBLE_DEVICES", "")));
    assertEquals(
        Map.entry("gpu", List.of()), discover(null, Map.of("NVIDIA_VISIBLE_DEVICES", "void")));
    assertEquals(
        Map.entry("gpu", List.of()), discover(null, Map.of("NVIDIA_VISIBLE_DEVICES", "none")));
  }
}
