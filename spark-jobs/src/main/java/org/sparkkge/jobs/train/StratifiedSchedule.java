package org.sparkkge.jobs.train;

import java.io.Serializable;

/**
 * Which task trains which triples when, in the stratified schedule (PyTorch-BigGraph's buckets laid
 * out as in distributed SGD for matrix factorisation, Gemulla et al. KDD 2011). Entities fall into
 * B (even) partitions by a hash of their id; a triple belongs to bucket (partition of head,
 * partition of tail). One pass over the graph is B - 1 sub-rounds: the round-robin ("circle")
 * tournament pairs the B partitions into B/2 disjoint pairs per sub-round, every pair exactly once
 * over the B - 1 sub-rounds. Task k of sub-round s owns the rows of its two partitions and trains
 * buckets (a, b) and (b, a), plus a 1/(B - 1) slice of (a, a) and of (b, b) (sliced by a hash of
 * the triple), so every bucket is trained once per pass, all tasks of a sub-round get about the
 * same work, and no entity row has two owners at a time: entity updates are exact, as in a
 * sequential run. Pure arithmetic, no state beyond B.
 */
public record StratifiedSchedule(int partitions) implements Serializable {

  public StratifiedSchedule {
    if (partitions < 2 || partitions % 2 != 0) {
      throw new IllegalArgumentException(
          "entity partitions must be even and >= 2, got " + partitions);
    }
  }

  /** The schedule for P tasks at a time: B = 2P partitions, or {@code configured} when > 0. */
  public static StratifiedSchedule forTasks(int tasks, int configured) {
    return new StratifiedSchedule(configured > 0 ? configured : 2 * Math.max(1, tasks));
  }

  public int subRounds() {
    return partitions - 1;
  }

  public int tasksPerSubRound() {
    return partitions / 2;
  }

  /** Partition of an entity: a mixed hash of its id, so name-sorted ids do not cluster. */
  public int partitionOf(int entity) {
    return (int)
        Math.floorMod(
            Seeds.mix(entity * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L), (long) partitions);
  }

  /** The sub-round that trains a triple with head partition p and tail partition q. */
  public int subRoundOf(int p, int q, int head, int relation, int tail) {
    int m = partitions - 1;
    if (p == q) {
      long h = Seeds.mix(Seeds.mix(Seeds.mix(head) + relation) + tail);
      return (int) Math.floorMod(h, (long) m);
    }
    if (p == m) {
      return q;
    }
    if (q == m) {
      return p;
    }
    // circle method: in sub-round s, (s + k) mod m meets (s - k) mod m, so 2s = p + q (mod m); m is
    // odd
    int halfInverse = (m + 1) / 2;
    return (int) ((long) (p + q) * halfInverse % m);
  }

  /** The task (0..B/2-1) of sub-round s that owns partition p. */
  public int taskOf(int subRound, int p) {
    int m = partitions - 1;
    if (p == m || p == subRound) {
      return 0;
    }
    int k = Math.floorMod(p - subRound, m);
    return Math.min(k, m - k);
  }

  /** The two partitions task {@code task} of sub-round s owns. */
  public int[] partitionsOf(int subRound, int task) {
    int m = partitions - 1;
    if (task == 0) {
      return new int[] {subRound, m};
    }
    return new int[] {Math.floorMod(subRound + task, m), Math.floorMod(subRound - task, m)};
  }
}
