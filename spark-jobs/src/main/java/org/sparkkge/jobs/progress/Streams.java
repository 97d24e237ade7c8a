package org.sparkkge.jobs.progress;

import java.io.PrintStream;

/** Where a command prints: its results on {@code out}, progress and errors on {@code err}. */
public record Streams(PrintStream out, PrintStream err) {}
