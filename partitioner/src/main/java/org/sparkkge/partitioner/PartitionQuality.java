package org.sparkkge.partitioner;

import java.util.Arrays;

/**
 * Quality of an edge partition: triples per shard, balance = max/mean triples per shard (1.0 is
 * perfect), replication factor = mean number of shards an entity appears in, and the share of
 * relations that occur in every shard.
 */
public record PartitionQuality(
    String strategy,
    int shards,
    long[] shardSizes,
    long triples,
    double balance,
    double replicationFactor,
    long entities,
    double relationsInEveryShard,
    long relations) {

  @Override
  public boolean equals(Object other) {
    return other instanceof PartitionQuality q
        && strategy.equals(q.strategy)
        && shards == q.shards
        && Arrays.equals(shardSizes, q.shardSizes)
        && triples == q.triples
        && balance == q.balance
        && replicationFactor == q.replicationFactor
        && entities == q.entities
        && relationsInEveryShard == q.relationsInEveryShard
        && relations == q.relations;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shardSizes) * 31 + strategy.hashCode();
  }

  @Override
  public String toString() {
    return String.format(
        "PartitionQuality[%s, P=%d, sizes=%s, balance=%.4f, replication=%.4f, "
            + "relations in every shard=%.4f (%d relations, %d entities, %d triples)",
        strategy,
        shards,
        Arrays.toString(shardSizes),
        balance,
        replicationFactor,
        relationsInEveryShard,
        relations,
        entities,
        triples);
  }
}
