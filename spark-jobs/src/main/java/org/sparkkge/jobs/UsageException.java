package org.sparkkge.jobs;

/**
 * The command line or configuration is wrong (unknown key, missing required setting, bad value).
 * The CLI prints the message and exits with code 2, like picocli's own usage errors.
 */
public class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message);
  }

  public UsageException(String message, Throwable cause) {
    super(message, cause);
  }
}
