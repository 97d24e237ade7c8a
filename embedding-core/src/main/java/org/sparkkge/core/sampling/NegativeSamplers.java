package org.sparkkge.core.sampling;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The samplers of train.sampler by name. Adding one = one {@link NegativeSampler} + one line below.
 */
public final class NegativeSamplers {
  private static final Map<String, NegativeSampler> SAMPLERS = new TreeMap<>();

  static {
    // PyTorch-BigGraph: a chunk of train.chunk-size positives shares its negatives
    SAMPLERS.put(
        "chunked",
        new NegativeSampler() {
          @Override
          public int chunkSize(int configuredChunkSize, int batchSize) {
            return configuredChunkSize;
          }

          @Override
          public boolean batchNegativesFromOwnChunk() {
            return true;
          }
        });
    // every positive draws its own negatives
    SAMPLERS.put("uniform", (chunkSize, batchSize) -> 1);
    // one-vs-all: the whole batch against every entity of the shard
    SAMPLERS.put(
        "all",
        new NegativeSampler() {
          @Override
          public int chunkSize(int configuredChunkSize, int batchSize) {
            return batchSize;
          }

          @Override
          public boolean scoresAllEntities() {
            return true;
          }
        });
  }

  private NegativeSamplers() {}

  public static Set<String> names() {
    return SAMPLERS.keySet();
  }

  public static NegativeSampler byName(String name) {
    NegativeSampler sampler = name == null ? null : SAMPLERS.get(name);
    if (sampler == null) {
      throw new IllegalArgumentException(
          "unknown sampler '" + name + "', expected one of " + names());
    }
    return sampler;
  }
}
