package org.sparkkge.partitioner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.Optional;
import org.apache.spark.api.java.JavaRDDLike;
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
     * Adjacency lists of the undirected simple graph: for every entity with at least one non-loop edge,
     * its distinct neighbours (ascending); parallel edges merged, self-loops dropped. Partitioned with
     * {@code partitioner} and persisted. Two ints per edge, so it is also the compact form of the graph.
     */
    static JavaPairRDD<Integer, int[]> adjacency(Dataset<Row> triples, VertexPartitioner partitioner) {
        requireTriples(triples);
        JavaPairRDD<Long, Boolean> packed = triples.select("head", "tail").javaRDD()
                .filter(row -> row.getInt(0) != row.getInt(1))
                .flatMapToPair(row -> {
                    long h = row.getInt(0);
                    long t = row.getInt(1);
                    if (h < 0 || t < 0) {
                        throw new IllegalArgumentException("triple with head " + h + ", tail " + t
                                + ": entity ids must be dense non-negative ints");
                    }
                    List<Tuple2<Long, Boolean>> both = new ArrayList<>(2);
                    both.add(new Tuple2<>((h << 32) | t, Boolean.TRUE));
                    both.add(new Tuple2<>((t << 32) | h, Boolean.TRUE));
                    return both.iterator();
                });
        // Sorting inside each source partition puts a vertex's edges, and duplicates, next to each other:
        // grouping and merging need no second shuffle.
        JavaPairRDD<Integer, int[]> adjacency = packed.repartitionAndSortWithinPartitions(partitioner)
                .mapPartitionsToPair(edges -> new java.util.Iterator<Tuple2<Integer, int[]>>() {
                    private long pending = -1;
                    private Tuple2<Integer, int[]> next = advance();

                    private Tuple2<Integer, int[]> advance() {
                        if (pending < 0 && !edges.hasNext()) {
                            return null;
                        }
                        long first = pending >= 0 ? pending : edges.next()._1();
                        int source = (int) (first >> 32);
                        int[] neighbours = new int[8];
                        int count = 0;
                        neighbours[count++] = (int) first;
                        pending = -1;
                        while (edges.hasNext()) {
                            long edge = edges.next()._1();
                            if ((int) (edge >> 32) != source) {
                                pending = edge;
                                break;
                            }
                            int neighbour = (int) edge;
                            if (neighbour != neighbours[count - 1]) {
                                if (count == neighbours.length) {
                                    neighbours = java.util.Arrays.copyOf(neighbours, count * 2);
                                }
                                neighbours[count++] = neighbour;
                            }
                        }
                        return new Tuple2<>(source, java.util.Arrays.copyOf(neighbours, count));
                    }

                    @Override
                    public boolean hasNext() {
                        return next != null;
                    }

                    @Override
                    public Tuple2<Integer, int[]> next() {
                        Tuple2<Integer, int[]> current = next;
                        next = advance();
                        return current;
                    }
                }, true);
        return adjacency.persist(StorageLevel.MEMORY_AND_DISK());
    }

    /** Sends {@code message} from every vertex of {@code senders} to each of its neighbours. */
    static <M> JavaPairRDD<Integer, M> toNeighbours(JavaPairRDD<Integer, int[]> adjacency,
            JavaPairRDD<Integer, M> senders) {
        Optional<Partitioner> graphPartitioner = adjacency.partitioner();
        Optional<Partitioner> senderPartitioner = senders.partitioner();
        if (graphPartitioner.isPresent() && senderPartitioner.isPresent()
                && graphPartitioner.get().equals(senderPartitioner.get())) {
            // Co-partitioned: hash only the senders of a partition and stream its adjacency lists past
            // them. A join would buffer every adjacency list of the partition in a hash map each round.
            return JavaPairRDD.fromJavaRDD(adjacency.zipPartitions(senders,
                    (graph, sending) -> sendAlongEdges(graph, sending)));
        }
        return adjacency.join(senders).flatMapToPair(vertex -> {
            int[] neighbours = vertex._2()._1();
            M message = vertex._2()._2();
            List<Tuple2<Integer, M>> out = new ArrayList<>(neighbours.length);
            for (int neighbour : neighbours) {
                out.add(new Tuple2<>(neighbour, message));
            }
            return out.iterator();
        });
    }

    /** One partition of each of two co-partitioned RDDs in, that partition's output out. */
    @FunctionalInterface
    interface PartitionMerge<A, B, C> extends java.io.Serializable {
        Iterator<Tuple2<Integer, C>> merge(Iterator<Tuple2<Integer, A>> left, Iterator<Tuple2<Integer, B>> right);
    }

    /**
     * Zips two RDDs partitioned by the same partitioner partition by partition and keeps that
     * partitioner on the result (the Java API's zipPartitions drops it), so later joins and zips with
     * per-vertex state need no shuffle. {@code merge} must keep every output key in its partition.
     */
    static <A, B, C> JavaPairRDD<Integer, C> zipCoPartitioned(JavaPairRDD<Integer, A> left,
            JavaPairRDD<Integer, B> right,
            PartitionMerge<A, B, C> merge) {
        Optional<Partitioner> leftPartitioner = left.partitioner();
        if (!leftPartitioner.isPresent() || !right.partitioner().isPresent()
                || !leftPartitioner.get().equals(right.partitioner().get())) {
            throw new IllegalArgumentException("zipCoPartitioned needs two RDDs with the same partitioner, got "
                    + left.partitioner() + " and " + right.partitioner());
        }
        scala.Function2<scala.collection.Iterator<Tuple2<Integer, A>>, scala.collection.Iterator<Tuple2<Integer, B>>,
                scala.collection.Iterator<Tuple2<Integer, C>>> zipped =
                (scala.Function2<scala.collection.Iterator<Tuple2<Integer, A>>,
                        scala.collection.Iterator<Tuple2<Integer, B>>,
                        scala.collection.Iterator<Tuple2<Integer, C>>> & java.io.Serializable)
                        (a, b) -> scala.jdk.javaapi.CollectionConverters.asScala(merge.merge(
                                scala.jdk.javaapi.CollectionConverters.asJava(a),
                                scala.jdk.javaapi.CollectionConverters.asJava(b)));
        @SuppressWarnings({"unchecked", "rawtypes"})
        scala.reflect.ClassTag<Tuple2<Integer, B>> rightTag = (scala.reflect.ClassTag) scala.reflect.ClassTag$.MODULE$.apply(Tuple2.class);
        @SuppressWarnings({"unchecked", "rawtypes"})
        scala.reflect.ClassTag<Tuple2<Integer, C>> outTag = (scala.reflect.ClassTag) scala.reflect.ClassTag$.MODULE$.apply(Tuple2.class);
        org.apache.spark.rdd.RDD<Tuple2<Integer, C>> rdd = left.rdd().zipPartitions(right.rdd(), true, zipped, rightTag, outTag);
        @SuppressWarnings({"unchecked", "rawtypes"})
        scala.reflect.ClassTag<Integer> keyTag = (scala.reflect.ClassTag) scala.reflect.ClassTag$.MODULE$.apply(Integer.class);
        @SuppressWarnings({"unchecked", "rawtypes"})
        scala.reflect.ClassTag<C> valueTag = (scala.reflect.ClassTag) scala.reflect.ClassTag$.MODULE$.AnyRef();
        return new JavaPairRDD<>(rdd, keyTag, valueTag);
    }

    private static <M> Iterator<Tuple2<Integer, M>> sendAlongEdges(Iterator<Tuple2<Integer, int[]>> graph,
            Iterator<Tuple2<Integer, M>> sending) {
        Map<Integer, List<M>> messages = new HashMap<>();
        while (sending.hasNext()) {
            Tuple2<Integer, M> sender = sending.next();
            messages.computeIfAbsent(sender._1(), id -> new ArrayList<>(1)).add(sender._2());
        }
        if (messages.isEmpty()) {
            return java.util.Collections.emptyIterator();
        }
        return new Iterator<>() {
            private int[] neighbours = new int[0];
            private List<M> pending = List.of();
            private int messageAt;
            private int neighbourAt;

            @Override
            public boolean hasNext() {
                while (neighbourAt >= neighbours.length || messageAt >= pending.size()) {
                    if (messageAt < pending.size() - 1 && neighbours.length > 0) {
                        messageAt++;
                        neighbourAt = 0;
                        continue;
                    }
                    if (!graph.hasNext()) {
                        return false;
                    }
                    Tuple2<Integer, int[]> vertex = graph.next();
                    List<M> forVertex = messages.get(vertex._1());
                    if (forVertex != null) {
                        neighbours = vertex._2();
                        pending = forVertex;
                        messageAt = 0;
                        neighbourAt = 0;
                    }
                }
                return true;
            }

            @Override
            public Tuple2<Integer, M> next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return new Tuple2<>(neighbours[neighbourAt++], pending.get(messageAt));
            }
        };
    }

    /**
     * With numEntities > 0, fails unless every head and tail lies in 0..numEntities-1 (one aggregation
     * over the triples), so no triple can fall out of per-entity outputs silently.
     */
    static void requireEntityIdsBelow(Dataset<Row> triples, long numEntities) {
        if (numEntities <= 0) {
            return;
        }
        Row range = triples.agg(functions.min("head"), functions.max("head"), functions.min("tail"),
                functions.max("tail")).first();
        if (range.isNullAt(0)) {
            return;
        }
        long low = Math.min(range.getInt(0), range.getInt(2));
        long high = Math.max(range.getInt(1), range.getInt(3));
        if (low < 0 || high >= numEntities) {
            throw new IllegalArgumentException("triples: entity ids span " + low + ".." + high
                    + " but the entity count is " + numEntities + " (ids must be dense 0.." + (numEntities - 1) + ")");
        }
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
        private JavaRDDLike<?, ?> current;
        private JavaRDDLike<?, ?> lastCut;

        /** Registers a persisted, not yet computed round; call before its first action. */
        void begin(JavaRDDLike<?, ?> round, int number) {
            if (number % CHECKPOINT_EVERY == 0) {
                if (round.context().getCheckpointDir().isDefined()) {
                    round.rdd().checkpoint();
                } else {
                    round.rdd().localCheckpoint();
                }
            }
        }

        /** Called after the round's first action: frees what no later round depends on. */
        void computed(JavaRDDLike<?, ?> round, int number) {
            boolean cut = number % CHECKPOINT_EVERY == 0;
            if (current != null && current != lastCut) {
                current.rdd().unpersist(false);
            }
            if (cut) {
                if (lastCut != null) {
                    lastCut.rdd().unpersist(false);
                }
                lastCut = round;
            }
            current = round;
        }

        /** Frees the latest round and the latest cut, once the result has been consumed. */
        void release() {
            if (current != null) {
                current.rdd().unpersist(false);
            }
            if (lastCut != null) {
                lastCut.rdd().unpersist(false);
            }
            current = null;
            lastCut = null;
        }
    }
}
