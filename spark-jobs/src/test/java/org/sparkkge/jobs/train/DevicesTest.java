package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.sparkkge.jobs.SharedSpark;

/** A GPU assignment is checked against the libtorch DJL loaded before a task trains. */
class DevicesTest {
  @Test
  void aGpuAssignedAgainstTheCpuLibtorchFailsWithOneMessageNamingTheFix() {
    Engine engine = Engine.getEngine("PyTorch");
    boolean cuda = engine.hasCapability(StandardCapabilities.CUDA);
    // the build's tests load the CPU libtorch of the application jar; with a CUDA one there is no
    // mismatch to show
    assumeFalse(cuda, "libtorch has CUDA here");
    DeviceUnavailableException e =
        assertThrows(
            DeviceUnavailableException.class,
            () -> Devices.checkedGpu("0", cuda, 0, engine.getVersion()));
    String message = e.getMessage();
    assertTrue(message.startsWith("train: this task was given GPU 0, but the libtorch "), message);
    assertTrue(message.contains(engine.getVersion()), message);
    assertTrue(message.contains("has no CUDA"), message);
    assertTrue(message.contains("PYTORCH_LIBRARY_PATH"), message);
    assertTrue(message.contains("docs/gpu.md"), message);
    assertEquals(1, message.lines().count(), "one line");
  }

  /**
   * What the CLI sees when every attempt of the training tasks failed the check: a Spark job
   * failure, from which it takes the task's one line (and prints nothing else).
   */
  @Test
  void theTasksFailureReachesTheDriverAsTheOneLine() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SharedSpark.get().sparkContext());
    Exception failed =
        assertThrows(
            Exception.class,
            () ->
                jsc.parallelize(List.of(0, 1), 2)
                    .map(i -> Devices.checkedGpu(String.valueOf(i), false, 0, "2.7.1").toString())
                    .collect());
    String line = DeviceUnavailableException.messageIn(failed);
    assertTrue(
        line != null && line.startsWith("train: this task was given GPU "), String.valueOf(line));
    assertTrue(line.endsWith("or train without GPUs"), line);
    assertEquals(null, DeviceUnavailableException.messageIn(new IllegalStateException("other")));
  }

  @Test
  void aGpuIndexThatCudaDoesNotSeeOrThatIsNoIndexIsRefused() {
    String seen =
        assertThrows(
                DeviceUnavailableException.class, () -> Devices.checkedGpu("2", true, 2, "2.11.0"))
            .getMessage();
    assertTrue(seen.contains("was given GPU 2") && seen.contains("sees 2 GPU(s)"), seen);
    String uuid =
        assertThrows(
                DeviceUnavailableException.class,
                () -> Devices.checkedGpu("GPU-8f2c", true, 1, "2.11.0"))
            .getMessage();
    assertTrue(uuid.contains("'GPU-8f2c', which is not a device index"), uuid);
    assertEquals(Device.gpu(1), Devices.checkedGpu(" 1 ", true, 2, "2.11.0"));
  }
}
