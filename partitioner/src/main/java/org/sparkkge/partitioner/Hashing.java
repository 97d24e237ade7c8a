package org.sparkkge.partitioner;

/**
 * Seeded 64-bit hashing (SplitMix64 finaliser). Every "random" choice in this package goes through
 * it, so results depend only on the seed and the ids, never on partitioning or task order.
 */
public final class Hashing {
  private Hashing() {}

  public static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public static long hash(long seed, long a) {
    return mix(mix(seed) ^ a);
  }

  public static long hash(long seed, long a, long b) {
    return mix(hash(seed, a) ^ b);
  }

  public static long hash(long seed, long a, long b, long c) {
    return mix(hash(seed, a, b) ^ c);
  }

  /** Non-negative bucket in [0, buckets). */
  public static int bucket(long hash, int buckets) {
    return (int) Math.floorMod(hash, (long) buckets);
  }
}
