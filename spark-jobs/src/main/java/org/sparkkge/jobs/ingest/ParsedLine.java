package org.sparkkge.jobs.ingest;

/** The outcome of reading one input line. */
public record ParsedLine(Status status, String head, String relation, String tail, String reason) {
  public enum Status {
    /** A valid triple. */
    TRIPLE,
    /** A bad line (wrong field count, empty field, invalid UTF-8, malformed N-Triples...). */
    REJECTED,
    /** A line without data: blank, an N-Triples comment, or a skipped header. Counted, not kept. */
    IGNORED,
    /** An N-Triples triple with a literal object under ingest.ntriples.literals = drop. Counted. */
    LITERAL_DROPPED
  }

  private static final ParsedLine IGNORED_LINE =
      new ParsedLine(Status.IGNORED, null, null, null, null);
  private static final ParsedLine LITERAL_LINE =
      new ParsedLine(Status.LITERAL_DROPPED, null, null, null, null);

  public static ParsedLine triple(String head, String relation, String tail) {
    return new ParsedLine(Status.TRIPLE, head, relation, tail, null);
  }

  public static ParsedLine rejected(String reason) {
    return new ParsedLine(Status.REJECTED, null, null, null, reason);
  }

  public static ParsedLine ignored() {
    return IGNORED_LINE;
  }

  public static ParsedLine literalDropped() {
    return LITERAL_LINE;
  }
}
