package org.sparkkge.jobs.ingest;

import java.util.ArrayList;
import java.util.List;

/**
 * TSV/CSV lines. Fields are split on a literal delimiter string; with {@code quoted} (csv) a field
 * may be enclosed in double quotes, with "" standing for one quote inside. The fields' order is
 * given by column names (a permutation of head, relation, tail).
 */
public final class DelimitedLineParser implements LineParser {
  private final String delimiter;
  private final boolean quoted;
  private final List<String> columns;
  private final int headField;
  private final int relationField;
  private final int tailField;

  public DelimitedLineParser(String delimiter, boolean quoted, List<String> columns) {
    if (delimiter.isEmpty()) {
      throw new IllegalArgumentException("empty delimiter");
    }
    this.delimiter = delimiter;
    this.quoted = quoted;
    this.columns = List.copyOf(columns);
    this.headField = columns.indexOf("head");
    this.relationField = columns.indexOf("relation");
    this.tailField = columns.indexOf("tail");
  }

  @Override
  public ParsedLine parse(String line) {
    if (line.isBlank()) {
      return ParsedLine.ignored();
    }
    List<String> fields = new ArrayList<>(columns.size());
    String problem = quoted ? splitQuoted(line, fields) : splitPlain(line, fields);
    if (problem != null) {
      return ParsedLine.rejected(problem);
    }
    if (fields.size() != columns.size()) {
      return ParsedLine.rejected("expected " + columns.size() + " fields, found " + fields.size());
    }
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).isBlank()) {
        return ParsedLine.rejected("empty " + columns.get(i) + " field (field " + (i + 1) + ")");
      }
    }
    return ParsedLine.triple(
        fields.get(headField), fields.get(relationField), fields.get(tailField));
  }

  private String splitPlain(String line, List<String> fields) {
    int from = 0;
    while (true) {
      int at = line.indexOf(delimiter, from);
      if (at < 0) {
        fields.add(line.substring(from));
        return null;
      }
      fields.add(line.substring(from, at));
      from = at + delimiter.length();
    }
  }

  private String splitQuoted(String line, List<String> fields) {
    int pos = 0;
    int n = line.length();
    while (true) {
      if (pos < n && line.charAt(pos) == '"') {
        StringBuilder field = new StringBuilder();
        int i = pos + 1;
        while (true) {
          if (i >= n) {
            return "unterminated quoted field (field " + (fields.size() + 1) + ")";
          }
          char c = line.charAt(i);
          if (c == '"') {
            if (i + 1 < n && line.charAt(i + 1) == '"') {
              field.append('"');
              i += 2;
              continue;
            }
            i++;
            break;
          }
          field.append(c);
          i++;
        }
        fields.add(field.toString());
        if (i == n) {
          return null;
        }
        if (!line.startsWith(delimiter, i)) {
          return "text after the closing quote of field " + fields.size();
        }
        pos = i + delimiter.length();
      } else {
        int at = line.indexOf(delimiter, pos);
        if (at < 0) {
          fields.add(line.substring(pos));
          return null;
        }
        fields.add(line.substring(pos, at));
        pos = at + delimiter.length();
      }
    }
  }
}
