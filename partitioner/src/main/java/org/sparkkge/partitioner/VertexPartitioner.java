package org.sparkkge.partitioner;

import org.apache.spark.Partitioner;

/**
 * Hash partitioner on vertex ids. An {@code Integer} key is a vertex; a {@code Long} key is an edge
 * packed as {@code (src << 32) | dst} and goes to its source's partition, so edge lists sorted by
 * the packed key stay co-partitioned with per-vertex state (joins between them need no shuffle).
 */
final class VertexPartitioner extends Partitioner {
  private final int partitions;

  VertexPartitioner(int partitions) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    this.partitions = partitions;
  }

  @Override
  public int numPartitions() {
    return partitions;
  }

  @Override
  public int getPartition(Object key) {
    long vertex = key instanceof Long packed ? (packed >> 32) : ((Integer) key).longValue();
    return Hashing.bucket(Hashing.mix(vertex), partitions);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof VertexPartitioner p && p.partitions == partitions;
  }

  @Override
  public int hashCode() {
    return 31 * VertexPartitioner.class.hashCode() + partitions;
  }
}
