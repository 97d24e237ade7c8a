package org.sparkkge.jobs.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Compares one Parquet dataset of two output directories with DuckDB: the same row count, the same
 * multiset of rows over the exact (non-floating-point) columns, and, joined on those columns, every
 * floating-point column (scalars, and arrays by Euclidean distance) within a tolerance. Floats may
 * differ in their last bits between runs because parameter averaging sums in shuffle arrival order.
 */
final class ParquetComparison implements AutoCloseable {
  /** Row counts and the largest floating-point difference seen, for the report. */
  record Result(String dataset, long rows, List<String> floatColumns, double maxDifference) {
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%s: %d rows%s",
          dataset,
          rows,
          floatColumns.isEmpty()
              ? " (identical)"
              : ", max float difference " + maxDifference + " in " + floatColumns);
    }
  }

  private final Connection duck;

  ParquetComparison() throws SQLException {
    duck = DriverManager.getConnection("jdbc:duckdb:");
  }

  Result compare(Path left, Path right, String dataset, double tolerance)
      throws SQLException, IOException {
    String a = scan(left.resolve(dataset));
    String b = scan(right.resolve(dataset));
    long rowsA = single("SELECT count(*) FROM " + a);
    long rowsB = single("SELECT count(*) FROM " + b);
    check(
        rowsA == rowsB,
        dataset + ": " + rowsA + " rows in " + left + " but " + rowsB + " in " + right);

    List<String> exact = new ArrayList<>();
    List<String> floats = new ArrayList<>();
    List<String> floatLists = new ArrayList<>();
    try (Statement s = duck.createStatement();
        ResultSet r = s.executeQuery("DESCRIBE SELECT * FROM " + a)) {
      while (r.next()) {
        String column = '"' + r.getString("column_name") + '"';
        String type = r.getString("column_type").toUpperCase(Locale.ROOT);
        if (type.equals("FLOAT") || type.equals("DOUBLE")) {
          floats.add(column);
        } else if (type.matches("(FLOAT|DOUBLE)\\[\\d*\\]")) {
          floatLists.add(column);
        } else {
          exact.add(column);
        }
      }
    }
    String exactColumns = exact.isEmpty() ? "1" : String.join(", ", exact);
    for (String[] pair : new String[][] {{a, b}, {b, a}}) {
      long missing =
          single(
              "SELECT count(*) FROM (SELECT "
                  + exactColumns
                  + " FROM "
                  + pair[0]
                  + " EXCEPT ALL SELECT "
                  + exactColumns
                  + " FROM "
                  + pair[1]
                  + ")");
      check(
          missing == 0,
          dataset
              + ": "
              + missing
              + " rows (over the columns "
              + exact
              + ") of one run are not in the other ("
              + left
              + " vs "
              + right
              + ")");
    }
    if (floats.isEmpty() && floatLists.isEmpty()) {
      return new Result(dataset, rowsA, List.of(), 0);
    }
    if (!exact.isEmpty()) {
      long distinctKeys =
          single("SELECT count(*) FROM (SELECT DISTINCT " + exactColumns + " FROM " + a + ")");
      check(
          distinctKeys == rowsA,
          dataset + ": the columns " + exact + " do not identify rows; cannot pair them");
    } else {
      check(rowsA <= 1, dataset + ": " + rowsA + " rows without a key column; cannot pair them");
    }
    List<String> differences = new ArrayList<>();
    for (String column : floats) {
      differences.add("abs(x." + column + " - y." + column + ")");
    }
    for (String column : floatLists) {
      differences.add(
          "CASE WHEN len(x."
              + column
              + ") = len(y."
              + column
              + ") THEN list_distance(x."
              + column
              + ", y."
              + column
              + ") ELSE 'Infinity'::DOUBLE END");
    }
    String on =
        exact.isEmpty()
            ? "true"
            : String.join(
                " AND ",
                exact.stream().map(c -> "x." + c + " IS NOT DISTINCT FROM y." + c).toList());
    double max;
    long paired;
    try (Statement s = duck.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT count(*), max(greatest("
                    + String.join(", ", differences)
                    + ")) FROM "
                    + a
                    + " x JOIN "
                    + b
                    + " y ON "
                    + on)) {
      r.next();
      paired = r.getLong(1);
      max = r.getDouble(2);
    }
    check(paired == rowsA, dataset + ": only " + paired + " of " + rowsA + " rows pair up");
    List<String> all = new ArrayList<>(floats);
    all.addAll(floatLists);
    check(
        max <= tolerance,
        String.format(
            Locale.ROOT,
            "%s: floating-point columns %s differ by up to %g (tolerance %g) between %s and %s",
            dataset,
            all,
            max,
            tolerance,
            left,
            right));
    return new Result(dataset, rowsA, all, max);
  }

  /** Rows of one Parquet dataset directory. */
  static long countRows(Path dataset) throws SQLException, IOException {
    try (ParquetComparison c = new ParquetComparison()) {
      return c.single("SELECT count(*) FROM " + scan(dataset));
    }
  }

  /**
   * A dataset directory as a DuckDB scan: part files directly inside, or Hive-style key=value
   * folders.
   */
  private static String scan(Path dir) throws IOException {
    check(Files.isDirectory(dir), "dataset missing: " + dir);
    boolean flat;
    try (Stream<Path> files = Files.list(dir)) {
      flat = files.anyMatch(p -> p.getFileName().toString().endsWith(".parquet"));
    }
    String glob = dir.toAbsolutePath() + (flat ? "/*.parquet" : "/**/*.parquet");
    return "read_parquet('" + glob.replace("'", "''") + "', hive_partitioning = " + !flat + ")";
  }

  private long single(String sql) throws SQLException {
    try (Statement s = duck.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }

  @Override
  public void close() throws SQLException {
    duck.close();
  }
}
