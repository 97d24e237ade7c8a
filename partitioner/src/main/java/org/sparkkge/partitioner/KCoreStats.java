package org.sparkkge.partitioner;

import java.util.List;

/**
 * Sizes of the k-cores of one graph. {@code levels.get(k)} describes the k-core: entities with core
 * number >= k, triples whose two ends both have core number >= k, and their shares of the totals.
 */
public record KCoreStats(long totalEntities, long totalTriples, int maxCore, List<Level> levels) {
  public record Level(int k, long entities, long triples, double entityShare, double tripleShare) {}

  /** The level for k, or an empty level when k exceeds the maximum core number. */
  public Level level(int k) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0, got " + k);
    }
    return k < levels.size() ? levels.get(k) : new Level(k, 0, 0, 0, 0);
  }
}
