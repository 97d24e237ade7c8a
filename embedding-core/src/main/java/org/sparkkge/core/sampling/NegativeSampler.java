package org.sparkkge.core.sampling;

/**
 * How the positives of a batch share their negatives (train.sampler), by name in {@link
 * NegativeSamplers}. The trainer groups a batch into chunks of {@link #chunkSize} positives; a
 * chunk's positives are scored against the same uniform and batch negatives, or against every
 * entity.
 */
public interface NegativeSampler {
  /** Positives per chunk, from train.chunk-size and train.batch-size. */
  int chunkSize(int configuredChunkSize, int batchSize);

  /** True when every positive is scored against every entity (one-vs-all): no negatives drawn. */
  default boolean scoresAllEntities() {
    return false;
  }

  /**
   * True when a chunk whose batch negatives are as many as its positives takes them from its own
   * positives (PyTorch-BigGraph), rather than drawing them from the whole batch.
   */
  default boolean batchNegativesFromOwnChunk() {
    return false;
  }
}
