package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.sparkkge.core.nodepiece.NodePieceTokens;

/**
 * One shard's token table in its local entity order, as plain arrays (NodePieceTokens is not
 * Serializable).
 */
public record LocalTokens(ShardData shard, int[] anchors, int[] distances, int[] relations)
    implements Serializable {

  /**
   * Rows of {@code tokens} (id, anchors, distances, relations) placed at the shard's local index of
   * their id.
   */
  public static LocalTokens of(ShardData shard, Iterable<Row> tokens, TokenTables desc) {
    int n = shard.entityIds().length;
    int[] a = new int[n * desc.k()];
    int[] d = new int[n * desc.k()];
    int[] r = new int[n * desc.m()];
    Arrays.fill(a, -1);
    Arrays.fill(d, -1);
    Arrays.fill(r, -1);
    for (Row row : tokens) {
      int local = Arrays.binarySearch(shard.entityIds(), row.getInt(0));
      if (local < 0) {
        continue;
      }
      NodePieceTokens one = desc.table(List.of(row));
      System.arraycopy(one.anchors(), 0, a, local * desc.k(), desc.k());
      System.arraycopy(one.distances(), 0, d, local * desc.k(), desc.k());
      System.arraycopy(one.relationTokens(), 0, r, local * desc.m(), desc.m());
    }
    return new LocalTokens(shard, a, d, r);
  }

  public NodePieceTokens table(TokenTables desc) {
    return new NodePieceTokens(
        Math.max(1, shard.entityIds().length),
        desc.k(),
        desc.m(),
        desc.numAnchors(),
        desc.numRelationTokens(),
        desc.maxDistance(),
        anchors,
        distances,
        relations);
  }
}
