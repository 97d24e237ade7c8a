package org.sparkkge.jobs.train;

/**
 * Seeds derived from the run seed by SplitMix64 mixing: independent streams per (round, shard) or
 * per row.
 */
public final class Seeds {
  private Seeds() {}

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Seed of shard {@code shard} in round {@code round}: a retried task gets the same one. */
  public static long of(long seed, int round, int shard) {
    return mix(mix(mix(seed) + round) + shard);
  }

  /**
   * Seed of the negative-pool sample taken after task {@code task}'s training in round {@code
   * round} ({@code task} = -1: the round's first sample, from its starting table): a stream apart
   * from training's.
   */
  public static long ofPool(long seed, int round, int task) {
    return of(seed ^ 0x3C6EF372FE94F82BL, round, task);
  }

  /**
   * Seed of the permutation that cuts task {@code task}'s triples into the round's bucket slices
   * (the same for every slice of the round).
   */
  public static long ofSlices(long seed, int round, int task) {
    return of(seed ^ 0x510E527FADE682D1L, round, task);
  }

  /** Seed of the initial row of one entity: independent of how entities are partitioned. */
  public static long ofRow(long seed, long id) {
    return mix(mix(seed ^ 0x6A09E667F3BCC909L) + id);
  }
}
