package org.sparkkge.jobs.train;

/**
 * A training task was given a device it cannot use (a GPU the loaded libtorch has no CUDA for, or
 * does not see). Thrown before the task does any work; the CLI prints its message alone, once,
 * however many task attempts failed with it.
 */
public final class DeviceUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DeviceUnavailableException(String message) {
    super(message);
  }

  /**
   * The message of a DeviceUnavailableException in {@code e}'s causes, or in the text of one (a
   * failed Spark job carries the task's exception either way), else null.
   */
  public static String messageIn(Throwable e) {
    String marker = DeviceUnavailableException.class.getName() + ": ";
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof DeviceUnavailableException) {
        return t.getMessage();
      }
      String message = t.getMessage();
      int at = message == null ? -1 : message.indexOf(marker);
      if (at >= 0) {
        String rest = message.substring(at + marker.length());
        int end = rest.indexOf('\n');
        return end < 0 ? rest : rest.substring(0, end);
      }
    }
    return null;
  }
}
