package org.sparkkge.core.nodepiece;

/**
 * NodePiece token table (Galkin et al., ICLR 2022) as plain arrays: every entity is k anchor ids
 * with their hop distances plus m relation-type tokens. A missing token is -1 and maps to a learned
 * padding embedding. Row-major: entity e's anchors are {@code anchors[e*k .. e*k+k)}.
 *
 * @param numAnchors anchor vocabulary size (anchor ids in [0, numAnchors))
 * @param numRelationTokens relation vocabulary size (ids in [0, numRelationTokens))
 * @param maxDistance largest hop distance; larger distances are clipped to it
 */
public record NodePieceTokens(
    int numEntities,
    int anchorsPerEntity,
    int relationsPerEntity,
    int numAnchors,
    int numRelationTokens,
    int maxDistance,
    int[] anchors,
    int[] distances,
    int[] relationTokens) {

  public NodePieceTokens {
    if (numEntities <= 0
        || anchorsPerEntity < 0
        || relationsPerEntity < 0
        || anchorsPerEntity + relationsPerEntity == 0
        || numAnchors < 0
        || numRelationTokens < 0
        || maxDistance < 0) {
      throw new IllegalArgumentException(
          "NodePieceTokens: bad sizes (entities "
              + numEntities
              + ", k "
              + anchorsPerEntity
              + ", m "
              + relationsPerEntity
              + ", anchors "
              + numAnchors
              + ", relations "
              + numRelationTokens
              + ", maxDistance "
              + maxDistance
              + ")");
    }
    check("anchors", anchors, (long) numEntities * anchorsPerEntity, numAnchors);
    check("distances", distances, (long) numEntities * anchorsPerEntity, Integer.MAX_VALUE);
    check(
        "relationTokens",
        relationTokens,
        (long) numEntities * relationsPerEntity,
        numRelationTokens);
  }

  private static void check(String what, int[] values, long expectedLength, int bound) {
    if (values.length != expectedLength) {
      throw new IllegalArgumentException(
          "NodePieceTokens."
              + what
              + ": expected "
              + expectedLength
              + " values, got "
              + values.length);
    }
    for (int i = 0; i < values.length; i++) {
      if (values[i] < -1 || values[i] >= bound) {
        throw new IllegalArgumentException(
            "NodePieceTokens."
                + what
                + "["
                + i
                + "] = "
                + values[i]
                + " outside [-1, "
                + bound
                + ")");
      }
    }
  }

  /** Tokens of the given entities (in that order) as the token table of a smaller entity set. */
  public NodePieceTokens select(int[] entityIds) {
    int k = anchorsPerEntity;
    int m = relationsPerEntity;
    int[] a = new int[entityIds.length * k];
    int[] d = new int[entityIds.length * k];
    int[] r = new int[entityIds.length * m];
    for (int i = 0; i < entityIds.length; i++) {
      System.arraycopy(anchors, entityIds[i] * k, a, i * k, k);
      System.arraycopy(distances, entityIds[i] * k, d, i * k, k);
      System.arraycopy(relationTokens, entityIds[i] * m, r, i * m, m);
    }
    return new NodePieceTokens(
        entityIds.length, k, m, numAnchors, numRelationTokens, maxDistance, a, d, r);
  }
}
