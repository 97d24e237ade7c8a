package org.sparkkge.jobs;

/**
 * A failure the user can act on (bad input line, missing input, refused output directory). The CLI
 * prints its message as is, without a stack trace, and exits with code 1.
 */
public class PipelineException extends RuntimeException {
  public PipelineException(String message) {
    super(message);
  }

  public PipelineException(String message, Throwable cause) {
    super(message, cause);
  }
}
