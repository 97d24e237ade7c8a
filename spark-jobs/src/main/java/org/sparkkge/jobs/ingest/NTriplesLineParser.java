package org.sparkkge.jobs.ingest;

/**
 * N-Triples lines: {@code SUBJECT PREDICATE OBJECT .} with IRIs in angle brackets, blank nodes
 * {@code _:label} and literals {@code "text"}, {@code "text"@lang}, {@code "text"^^<datatype>}.
 * Entity and relation names are IRIs without their brackets and blank nodes as written. A literal
 * object follows the configured {@link LiteralPolicy}. Comment and blank lines are ignored
 * (counted).
 */
public final class NTriplesLineParser implements LineParser {
  public enum LiteralPolicy {
    DROP,
    REJECT,
    ENTITY
  }

  private final LiteralPolicy literals;

  public NTriplesLineParser(LiteralPolicy literals) {
    this.literals = literals;
  }

  private static final class Cursor {
    final String line;
    int pos;

    Cursor(String line) {
      this.line = line;
    }

    void skipSpace() {
      while (pos < line.length() && (line.charAt(pos) == ' ' || line.charAt(pos) == '\t')) {
        pos++;
      }
    }

    boolean atEnd() {
      return pos >= line.length();
    }

    char peek() {
      return line.charAt(pos);
    }
  }

  @Override
  public ParsedLine parse(String line) {
    Cursor cursor = new Cursor(line);
    cursor.skipSpace();
    if (cursor.atEnd() || cursor.peek() == '#') {
      return ParsedLine.ignored();
    }
    String subject = iriOrBlank(cursor);
    if (subject == null) {
      return malformed("the subject must be an IRI <...> or a blank node _:x");
    }
    cursor.skipSpace();
    String predicate = iri(cursor);
    if (predicate == null) {
      return malformed("the predicate must be an IRI <...>");
    }
    cursor.skipSpace();
    String object;
    boolean literal = false;
    if (!cursor.atEnd() && cursor.peek() == '"') {
      object = literal(cursor);
      if (object == null) {
        return malformed("unterminated literal");
      }
      literal = true;
    } else {
      object = iriOrBlank(cursor);
      if (object == null) {
        return malformed("the object must be an IRI <...>, a blank node _:x or a literal \"...\"");
      }
    }
    cursor.skipSpace();
    if (cursor.atEnd() || cursor.peek() != '.') {
      return malformed("missing the final '.'");
    }
    cursor.pos++;
    cursor.skipSpace();
    if (!cursor.atEnd() && cursor.peek() != '#') {
      return malformed("unexpected text after the final '.'");
    }
    if (literal) {
      switch (literals) {
        case DROP:
          return ParsedLine.literalDropped();
        case REJECT:
          return ParsedLine.rejected("literal object (ingest.ntriples.literals = reject)");
        default:
          break;
      }
    }
    return ParsedLine.triple(subject, predicate, object);
  }

  private static ParsedLine malformed(String detail) {
    return ParsedLine.rejected("malformed N-Triples: " + detail);
  }

  private static String iriOrBlank(Cursor cursor) {
    if (cursor.atEnd()) {
      return null;
    }
    if (cursor.peek() == '<') {
      return iri(cursor);
    }
    if (cursor.line.startsWith("_:", cursor.pos)) {
      int start = cursor.pos;
      int end = start + 2;
      while (end < cursor.line.length() && !Character.isWhitespace(cursor.line.charAt(end))) {
        end++;
      }
      if (end == start + 2) {
        return null;
      }
      cursor.pos = end;
      return cursor.line.substring(start, end);
    }
    return null;
  }

  private static String iri(Cursor cursor) {
    if (cursor.atEnd() || cursor.peek() != '<') {
      return null;
    }
    int close = cursor.line.indexOf('>', cursor.pos + 1);
    if (close < 0 || close == cursor.pos + 1) {
      return null;
    }
    String iri = cursor.line.substring(cursor.pos + 1, close);
    if (iri.indexOf(' ') >= 0) {
      return null;
    }
    cursor.pos = close + 1;
    return iri;
  }

  /** Returns the literal as written (quotes, escapes, language tag or datatype included). */
  private static String literal(Cursor cursor) {
    String line = cursor.line;
    int start = cursor.pos;
    int i = start + 1;
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '"') {
        break;
      }
      i++;
    }
    if (i >= line.length()) {
      return null;
    }
    i++;
    if (i < line.length() && line.charAt(i) == '@') {
      while (i < line.length()
          && !Character.isWhitespace(line.charAt(i))
          && line.charAt(i) != '.') {
        i++;
      }
    } else if (line.startsWith("^^<", i)) {
      int close = line.indexOf('>', i + 3);
      if (close < 0) {
        return null;
      }
      i = close + 1;
    }
    cursor.pos = i;
    return line.substring(start, i);
  }
}
