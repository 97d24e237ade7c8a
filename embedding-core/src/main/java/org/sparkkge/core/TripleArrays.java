package org.sparkkge.core;

import java.util.Arrays;

/**
 * A set of (head, relation, tail) triples as three parallel arrays of dense ids. Plain Java so it
 * can cross module borders (Spark tasks build it from Parquet rows). Arrays are used as given, not
 * copied.
 */
public record TripleArrays(int[] heads, int[] relations, int[] tails) {

  public TripleArrays {
    if (heads == null || relations == null || tails == null) {
      throw new IllegalArgumentException(
          "TripleArrays: heads, relations and tails must not be null");
    }
    if (heads.length != relations.length || heads.length != tails.length) {
      throw new IllegalArgumentException(
          "TripleArrays: arrays differ in length (heads "
              + heads.length
              + ", relations "
              + relations.length
              + ", tails "
              + tails.length
              + ")");
    }
  }

  public int size() {
    return heads.length;
  }

  /**
   * Fails with the first offending position when an id lies outside [0, numEntities) / [0,
   * numRelations).
   */
  public void checkIds(int numEntities, int numRelations) {
    for (int i = 0; i < heads.length; i++) {
      if (heads[i] < 0 || heads[i] >= numEntities || tails[i] < 0 || tails[i] >= numEntities) {
        throw new IllegalArgumentException(
            "triple "
                + i
                + " ("
                + heads[i]
                + ", "
                + relations[i]
                + ", "
                + tails[i]
                + "): entity id outside [0, "
                + numEntities
                + ")");
      }
      if (relations[i] < 0 || relations[i] >= numRelations) {
        throw new IllegalArgumentException(
            "triple "
                + i
                + " ("
                + heads[i]
                + ", "
                + relations[i]
                + ", "
                + tails[i]
                + "): relation id outside [0, "
                + numRelations
                + ")");
      }
    }
  }

  /** The triples at the given positions, in that order. */
  public TripleArrays select(int[] positions) {
    int[] h = new int[positions.length];
    int[] r = new int[positions.length];
    int[] t = new int[positions.length];
    for (int i = 0; i < positions.length; i++) {
      h[i] = heads[positions[i]];
      r[i] = relations[positions[i]];
      t[i] = tails[positions[i]];
    }
    return new TripleArrays(h, r, t);
  }

  public static TripleArrays concat(TripleArrays... parts) {
    int n = 0;
    for (TripleArrays p : parts) {
      n += p.size();
    }
    int[] h = new int[n];
    int[] r = new int[n];
    int[] t = new int[n];
    int at = 0;
    for (TripleArrays p : parts) {
      System.arraycopy(p.heads, 0, h, at, p.size());
      System.arraycopy(p.relations, 0, r, at, p.size());
      System.arraycopy(p.tails, 0, t, at, p.size());
      at += p.size();
    }
    return new TripleArrays(h, r, t);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TripleArrays other
        && Arrays.equals(heads, other.heads)
        && Arrays.equals(relations, other.relations)
        && Arrays.equals(tails, other.tails);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(heads) + Arrays.hashCode(relations)) + Arrays.hashCode(tails);
  }

  @Override
  public String toString() {
    return "TripleArrays[" + size() + " triples]";
  }
}
