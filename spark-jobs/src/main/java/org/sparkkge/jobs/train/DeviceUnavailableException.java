package org.sparkkge.jobs.train;

/**
 * A training task was given a device it cannot use (a GPU the loaded libtorch has no CUDA for, or
 * does not see). Thrown before the task does any work; the task returns the message in its summary
 * instead of failing (every retry would fail the same way), and the driver stops the run with it.
 */
public final class DeviceUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DeviceUnavailableException(String message) {
    super(message);
  }
}
