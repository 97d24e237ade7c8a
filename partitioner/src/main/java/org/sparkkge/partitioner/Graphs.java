package org.sparkkge.partitioner;

import java.util.ArrayList;
import java.util.List;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;

import scala.Tuple2;

/** Shared plumbing: input validation, the undirected simple graph, lineage cutting. */
final class Graphs {
    private Graphs() {}

    /** Iterative jobs cut their RDD lineage this often (rounds), so long runs do not grow deep plans. */
    static final int CHECKPOINT_EVERY = 4;

    static int partitions(SparkSession spark) {
        return Math.max(1, Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions", "8")));
    }

    /** Fails with the dataset name and the missing or mistyped column. */
    static void requireIntColumns(Dataset<Row> data, String name, String... columns) {
        for (String column : columns) {
            StructField field = null;
            for (StructField f : data.schema().fields()) {
                if (f.name().equals(column)) {
                    field = f;
                }
            }
            if (field == null) {
                throw new IllegalArgumentException(name + ": missing column '" + column + "' (schema: "
                        + data.schema().simpleString() + ")");
            }
            DataType type = field.dataType();
            if (!type.equals(DataTypes.IntegerType)) {
                throw new IllegalArgumentException(name + ": column '" + column + "' must be INT, found "
                        + type.simpleString());
            }
        }
    }

    static void requireTriples(Dataset<Row> triples) {
        requireIntColumns(triples, "triples", "head", "relation", "tail");
    }

    /**
     * Adjacency of the undirected simple graph: both directions of every edge, parallel edges merged,
     * self-loops dropped; partitioned by source with {@code partitioner} and persisted.
     */
    static JavaPairRDD<Integer, Integer> adjacency(Dataset<Row> triples, VertexPartitioner partitioner) {
        requireTriples(triples);
        JavaPairRDD<Long, Boolean> packed = triples.select("head", "tail").javaRDD()
                .filter(row -> row.getInt(0) != row.getInt(1))
                .flatMapToPair(row -> {
                    long h = row.getInt(0);
                    long t = row.getInt(1);
                    List<Tuple2<Long, Boolean>> both = new ArrayList<>(2);
                    both.add(new Tuple2<>((h << 32) | (t & 0xffffffffL), Boolean.TRUE));
                    both.add(new Tuple2<>((t << 32) | (h & 0xffffffffL), Boolean.TRUE));
                    return both.iterator();
                });
        // Sorting inside each source partition makes duplicate edges adjacent, so merging them needs no
        // second shuffle and no per-partition hash set.
        JavaPairRDD<Integer, Integer> adjacency = packed.repartitionAndSortWithinPartitions(partitioner)
                .mapPartitionsToPair(edges -> new java.util.Iterator<Tuple2<Integer, Integer>>() {
                    private long previous = Long.MIN_VALUE;
                    private Tuple2<Integer, Integer> next = advance();

                    private Tuple2<Integer, Integer> advance() {
                        while (edges.hasNext()) {
                            long edge = edges.next()._1();
                            if (edge != previous) {
                                previous = edge;
                                return new Tuple2<>((int) (edge >> 32), (int) edge);
                            }
                        }
                        return null;
                    }

                    @Override
                    public boolean hasNext() {
                        return next != null;
                    }

                    @Override
                    public Tuple2<Integer, Integer> next() {
                        Tuple2<Integer, Integer> current = next;
                        next = advance();
                        return current;
                    }
                }, true);
        return adjacency.persist(StorageLevel.MEMORY_AND_DISK());
    }

    /** Every entity id: 0..numEntities-1 when known (> 0), otherwise the ids that occur in the triples. */
    static Dataset<Row> entityIds(SparkSession spark, Dataset<Row> triples, long numEntities) {
        if (numEntities > 0) {
            return spark.range(numEntities).select(functions.col("id").cast("int").as("id"));
        }
        return triples.select(functions.col("head").as("id"))
                .union(triples.select(functions.col("tail").as("id"))).distinct();
    }

    /**
     * Owns the persisted rounds of an iterative algorithm: every {@link #CHECKPOINT_EVERY} rounds a
     * round's RDD has its lineage cut (reliable checkpoint when the context has a checkpoint directory,
     * else a local one); older rounds are released once the newer round is computed, except the latest
     * cut, which later rounds' lineage still needs.
     */
    static final class Rounds {
        private JavaPairRDD<?, ?> current;
        private JavaPairRDD<?, ?> lastCut;

        /** Registers a persisted, not yet computed round; call before its first action. */
        void begin(JavaPairRDD<?, ?> round, int number) {
            if (number % CHECKPOINT_EVERY == 0) {
                if (round.context().getCheckpointDir().isDefined()) {
                    round.checkpoint();
                } else {
                    round.rdd().localCheckpoint();
                }
            }
        }

        /** Called after the round's first action: frees what no later round depends on. */
        void computed(JavaPairRDD<?, ?> round, int number) {
            boolean cut = number % CHECKPOINT_EVERY == 0;
            if (current != null && current != lastCut) {
                current.unpersist(false);
            }
            if (cut) {
                if (lastCut != null) {
                    lastCut.unpersist(false);
                }
                lastCut = round;
            }
            current = round;
        }
    }
}
