package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/** A GPU assignment is checked against the libtorch DJL loaded before a task trains. */
class DevicesTest {
  @Test
  void aGpuAssignedAgainstTheCpuLibtorchFailsWithOneMessageNamingTheFix() {
    // the libtorch without CUDA is the application jar's CPU build, the one the tests load
    String version = Engine.getEngine("PyTorch").getVersion();
    DeviceUnavailableException e =
        assertThrows(
            DeviceUnavailableException.class, () -> Devices.checkedGpu("0", false, 0, version));
    String message = e.getMessage();
    assertTrue(message.startsWith("this task was given GPU 0, but the libtorch "), message);
    assertTrue(message.contains(version), message);
    assertTrue(message.contains("has no CUDA"), message);
    assertTrue(message.contains("PYTORCH_LIBRARY_PATH"), message);
    assertTrue(message.contains("docs/gpu.md"), message);
    assertTrue(message.contains("deploy/gpu/build-djl-jni.sh"), message);
    assertEquals(1, message.lines().count(), "one line");
  }

  /**
   * A local master cannot give tasks GPUs: its tasks spread over the GPUs libtorch sees, and stay
   * on the CPU where it sees none (this machine's CPU libtorch).
   */
  @Test
  void localTasksSpreadOverTheGpusLibtorchSeesElseTheCpu() {
    assertEquals(Device.gpu(1), Devices.localDevice(3, 2));
    assertEquals(Device.gpu(0), Devices.localDevice(4, 2));
    assertEquals(Device.cpu(), Devices.localDevice(1, 0));
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SharedSpark.get().sparkContext());
    assertEquals(0, Devices.localGpus(jsc.sc()));
    assertEquals(
        List.of("cpu()", "cpu()"),
        jsc.parallelize(List.of(0, 1), 2).map(i -> Devices.forCurrentTask().toString()).collect());
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
