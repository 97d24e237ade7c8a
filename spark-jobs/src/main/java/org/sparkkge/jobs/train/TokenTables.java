package org.sparkkge.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.size;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkkge.core.nodepiece.NodePieceTokens;

/**
 * Reading the tokenize stage's tokens (id, anchors[k], distances[k], relations[m]) into
 * embedding-core {@link NodePieceTokens} for a set of entities, re-indexed locally (row i =
 * entityIds[i]).
 *
 * @param numAnchors anchor vocabulary size (vocab rows of kind "anchor")
 * @param numRelationTokens 2 x relations (relation and inverse-relation tokens)
 * @param maxDistance largest hop distance in the token table
 */
public record TokenTables(int k, int m, int numAnchors, int numRelationTokens, int maxDistance)
    implements Serializable {

  public static TokenTables describe(Dataset<Row> tokens, Dataset<Row> vocab, int numRelations) {
    Row sizes = tokens.agg(max(size(col("anchors"))), max(size(col("relations")))).first();
    Row far = tokens.select(explode(col("distances")).as("d")).agg(max(col("d"))).first();
    long anchors = vocab.filter(col("kind").equalTo("anchor")).count();
    return new TokenTables(
        sizes.getInt(0),
        sizes.getInt(1),
        (int) anchors,
        2 * numRelations,
        far.isNullAt(0) ? 0 : Math.max(0, far.getInt(0)));
  }

  /** Token table of the given rows (id, anchors, distances, relations), in the order given. */
  public NodePieceTokens table(List<Row> rows) {
    int n = rows.size();
    int[] a = new int[n * k];
    int[] d = new int[n * k];
    int[] r = new int[n * m];
    Arrays.fill(a, -1);
    Arrays.fill(d, -1);
    Arrays.fill(r, -1);
    for (int i = 0; i < n; i++) {
      Row row = rows.get(i);
      copy(row.getList(1), a, i * k, k);
      copy(row.getList(2), d, i * k, k);
      copy(row.getList(3), r, i * m, m);
    }
    return new NodePieceTokens(
        Math.max(1, n),
        k,
        m,
        numAnchors,
        numRelationTokens,
        maxDistance,
        n == 0 ? fill(k) : a,
        n == 0 ? fill(k) : d,
        n == 0 ? fill(m) : r);
  }

  /**
   * A one-entity all-padding table: what the encoder's initialisation needs to know of the
   * vocabulary.
   */
  public NodePieceTokens shapeOnly() {
    return new NodePieceTokens(
        1, k, m, numAnchors, numRelationTokens, maxDistance, fill(k), fill(k), fill(m));
  }

  private static int[] fill(int n) {
    int[] out = new int[n];
    Arrays.fill(out, -1);
    return out;
  }

  private static void copy(List<Object> values, int[] into, int at, int width) {
    for (int j = 0; j < Math.min(width, values.size()); j++) {
      into[at + j] = ((Number) values.get(j)).intValue();
    }
  }
}
