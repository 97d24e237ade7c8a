package org.sparkkge.jobs;

/**
 * A task was given a device it cannot use (a GPU the loaded libtorch has no CUDA for, or does not
 * see). Thrown before the task does any work; the task reports the message instead of failing
 * (every retry would fail the same way): training tasks in their summaries, ranking and encoding
 * tasks through {@link TaskDevices}; the driver stops the stage with it.
 */
public final class DeviceUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DeviceUnavailableException(String message) {
    super(message);
  }
}
