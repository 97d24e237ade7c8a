package org.sparkkge.jobs.ingest;

import java.io.Serializable;

/** Turns one decoded text line into a triple, a rejection with its reason, or nothing. */
public interface LineParser extends Serializable {
  ParsedLine parse(String line);
}
