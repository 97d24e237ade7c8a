package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * The triples one task of the stratified schedule trains in one sub-round, global ids, sorted by
 * (head, relation, tail) so the trainer sees the same order however Spark delivered them.
 */
public record TaskTriples(int subRound, int task, int[] heads, int[] relations, int[] tails)
    implements Serializable {

  /** From packed (head, relation, tail) rows in any order. */
  public static TaskTriples sorted(int subRound, int task, List<int[]> triples) {
    int[][] rows = triples.toArray(new int[0][]);
    Arrays.sort(
        rows,
        (a, b) ->
            a[0] != b[0]
                ? Integer.compare(a[0], b[0])
                : a[1] != b[1] ? Integer.compare(a[1], b[1]) : Integer.compare(a[2], b[2]));
    int n = rows.length;
    int[] h = new int[n];
    int[] r = new int[n];
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      h[i] = rows[i][0];
      r[i] = rows[i][1];
      t[i] = rows[i][2];
    }
    return new TaskTriples(subRound, task, h, r, t);
  }

  public int size() {
    return heads.length;
  }
}
