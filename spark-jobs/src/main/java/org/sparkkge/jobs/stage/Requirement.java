package org.sparkkge.jobs.stage;

import org.sparkkge.jobs.io.Layout;

/**
 * A dataset a stage reads, relative to the output directory, and why when it is needed only under
 * some setting. The stage that writes it comes from {@link Layout#writer}; it must have completed.
 */
public record Requirement(String dataset, String writer, String reason) {
  public static Requirement of(String dataset) {
    return new Requirement(dataset, Layout.writer(dataset), "");
  }

  /** A requirement that only some setting brings, with that setting named in the error. */
  public static Requirement because(String dataset, String reason) {
    return new Requirement(dataset, Layout.writer(dataset), " (" + reason + ")");
  }
}
