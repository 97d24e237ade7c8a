package org.sparkkge.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;

/**
 * bin/spark-kge doctor through the real CLI entry point, on this machine's CPU libtorch (the
 * application jar's): it reports no CUDA, trains on the CPU, and fails where GPUs are expected.
 */
class DoctorCommandTest {
  private static final Pattern CPU_ROW =
      Pattern.compile("(?m)^cpu\\(\\)\\s+([\\d,]+)\\s+([\\d.]+)\\s+([-\\d.]+)$");

  @TempDir Path tmp;

  /** A small model so the timed steps take milliseconds. */
  private static Cli.Result doctor(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "doctor",
                "--steps",
                "3",
                "--set",
                "train.dim=16",
                "--set",
                "train.batch-size=200",
                "--set",
                "train.negatives=20",
                "--set",
                "train.batch-negatives=0"));
    args.addAll(List.of(extra));
    return Cli.runWithoutSpark(args.toArray(String[]::new));
  }

  @Test
  void aCpuNodeWithoutNvidiaSmiPassesAndTimesTheCpu() {
    Cli.Result run = doctor("--nvidia-smi", "/nonexistent/nvidia-smi");
    assertEquals(0, run.exitCode(), run.out() + run.err());
    assertTrue(run.out().contains("cuda:                      no"), run.out());
    assertTrue(run.out().contains("gpus seen by libtorch:     0"), run.out());
    assertTrue(run.out().contains("gpus listed by nvidia-smi: none"), run.out());
    assertTrue(run.out().contains("training steps: complex dim 16, batch 200"), run.out());
    Matcher cpu = CPU_ROW.matcher(run.out());
    assertTrue(cpu.find(), run.out());
    assertTrue(Double.parseDouble(cpu.group(1).replace(",", "")) > 0, cpu.group());
    assertTrue(Double.isFinite(Double.parseDouble(cpu.group(3))), cpu.group());
    assertTrue(run.out().trim().endsWith("doctor: OK"), run.out());
  }

  @Test
  void gpusThatTheNodeListsButLibtorchCannotUseFailWithTheFix() throws Exception {
    Path smi = tmp.resolve("nvidia-smi");
    Files.writeString(smi, "#!/bin/sh\necho 0\necho 1\n");
    assertTrue(smi.toFile().setExecutable(true));
    Cli.Result listed = doctor("--nvidia-smi", smi.toString());
    assertEquals(1, listed.exitCode(), listed.out() + listed.err());
    assertTrue(listed.out().contains("gpus listed by nvidia-smi: 2"), listed.out());
    assertTrue(
        listed.err().contains("sees 0 GPU(s), nvidia-smi lists 2")
            && listed.err().contains("PYTORCH_LIBRARY_PATH")
            && listed.err().contains("deploy/gpu/build-djl-jni.sh"),
        listed.err());
    // the CPU still trains: the report shows what works beside what does not
    assertTrue(CPU_ROW.matcher(listed.out()).find(), listed.out());

    Cli.Result expected = doctor("--nvidia-smi", "/nonexistent/nvidia-smi", "--expect-gpus", "1");
    assertEquals(1, expected.exitCode(), expected.out() + expected.err());
    assertTrue(expected.err().contains("sees 0 GPU(s), --expect-gpus is 1"), expected.err());
  }

  @Test
  void badArgumentsAreUsageErrors() {
    Cli.Result steps = Cli.runWithoutSpark("doctor", "--steps", "0");
    assertEquals(2, steps.exitCode());
    assertTrue(steps.err().contains("--steps must be at least 1, got 0"), steps.err());
    Cli.Result key = doctor("--set", "train.no-such-key=1");
    assertEquals(2, key.exitCode());
    assertTrue(key.err().contains("train.no-such-key"), key.err());
  }
}
