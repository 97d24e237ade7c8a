package org.sparkkge.core.eval;

import java.io.Serializable;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Ranking refused: some queries have a compared candidate whose score is NaN or infinite (see
 * {@link QueryCounts}). Names how many queries and the first of them, so the user can find the
 * rows.
 */
public final class NonFiniteScoreException extends IllegalStateException {
  /**
   * One invalid query: tail prediction (head, relation, ?) or head prediction (?, relation, tail)
   * of the test triple (head, relation, tail), and its lowest candidate with a non-finite score.
   */
  public record Query(
      boolean tailDirection, int head, int relation, int tail, int candidate, float score)
      implements Serializable {}

  private final long invalidQueries;
  private final long queries;
  private final Query first;

  public NonFiniteScoreException(long invalidQueries, long queries, Query first) {
    super(describe(invalidQueries, queries, first, id -> null, id -> null));
    this.invalidQueries = invalidQueries;
    this.queries = queries;
    this.first = first;
  }

  public long invalidQueries() {
    return invalidQueries;
  }

  public long queries() {
    return queries;
  }

  public Query first() {
    return first;
  }

  /**
   * The message with entity and relation names where the functions know them (null: the id alone).
   */
  public String describe(IntFunction<String> entityName, IntFunction<String> relationName) {
    return describe(invalidQueries, queries, first, entityName, relationName);
  }

  private static String describe(
      long invalid,
      long queries,
      Query q,
      IntFunction<String> entityName,
      IntFunction<String> relationName) {
    String h = named(q.head(), entityName);
    String r = named(q.relation(), relationName);
    String t = named(q.tail(), entityName);
    String query =
        q.tailDirection()
            ? "tail query (" + h + ", " + r + ", ?) with answer " + t
            : "head query (?, " + r + ", " + t + ") with answer " + h;
    return String.format(
        Locale.ROOT,
        "non-finite scores: %,d of %,d queries have a candidate scoring NaN or "
            + "infinite, first the %s: candidate %s scores %s. The parameters hold NaN/Inf or a score "
            + "overflows (diverged training?); no metrics were computed",
        invalid,
        queries,
        query,
        named(q.candidate(), entityName),
        q.score());
  }

  private static String named(int id, IntFunction<String> names) {
    String name = names.apply(id);
    return name == null ? String.valueOf(id) : id + " '" + name + "'";
  }
}
