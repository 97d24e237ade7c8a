package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.Arrays;
import org.sparkkge.core.TripleArrays;

/**
 * One shard's training triples, sorted (so the trainer sees the same order however Spark delivered
 * the rows), with its entities re-indexed locally: {@code entityIds[i]} is the global id of local
 * entity i (ascending), and the triples hold local ids.
 */
public record ShardData(int shard, int[] entityIds, int[] heads, int[] relations, int[] tails)
    implements Serializable {

  /** Builds the shard from global-id triples given as packed (head, relation, tail) rows. */
  public static ShardData of(int shard, int[][] triples) {
    int[][] sorted = triples.clone();
    Arrays.sort(
        sorted,
        (a, b) ->
            a[0] != b[0]
                ? Integer.compare(a[0], b[0])
                : a[1] != b[1] ? Integer.compare(a[1], b[1]) : Integer.compare(a[2], b[2]));
    int n = sorted.length;
    int[] ends = new int[2 * n];
    for (int i = 0; i < n; i++) {
      ends[2 * i] = sorted[i][0];
      ends[2 * i + 1] = sorted[i][2];
    }
    int[] ids = Arrays.stream(ends).sorted().distinct().toArray();
    int[] h = new int[n];
    int[] r = new int[n];
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      h[i] = Arrays.binarySearch(ids, sorted[i][0]);
      r[i] = sorted[i][1];
      t[i] = Arrays.binarySearch(ids, sorted[i][2]);
    }
    return new ShardData(shard, ids, h, r, t);
  }

  public int size() {
    return heads.length;
  }

  public TripleArrays localTriples() {
    return new TripleArrays(heads, relations, tails);
  }
}
