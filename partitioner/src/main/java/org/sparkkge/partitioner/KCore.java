package org.sparkkge.partitioner;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import scala.Tuple2;

/**
 * k-core decomposition of the undirected simple graph under a KG (direction and relation ignored,
 * parallel edges merged, self-loops not counted), distributed.
 *
 * <p>Core numbers follow Montresor, De Pellegrini and Miorandi ("Distributed k-core decomposition",
 * 2013): every vertex starts with its degree as estimate and repeatedly replaces it by the h-index of
 * its neighbours' estimates (capped by its own) until no estimate changes; the fixed point is the exact
 * core number. Per-vertex work per round is its degree; nothing per vertex reaches the driver.
 */
public final class KCore {
    private static final Logger LOG = LoggerFactory.getLogger(KCore.class);

    /** Periphery layer of an entity that no path connects to the core. */
    public static final int UNREACHABLE = -1;

    public static final StructType CORE_SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("core_number", DataTypes.IntegerType, false);

    private KCore() {}

    /** Core numbers of the entities occurring in {@code triples}: {@code (id INT, core_number INT)}. */
    public static Dataset<Row> coreNumbers(Dataset<Row> triples) {
        return coreNumbers(triples, 0);
    }

    /**
     * Core numbers {@code (id INT, core_number INT)} of entities 0..numEntities-1 (or, when numEntities
     * is 0, of the entities occurring in the triples). Entities without any non-loop edge get 0.
     */
    public static Dataset<Row> coreNumbers(Dataset<Row> triples, long numEntities) {
        Graphs.requireTriples(triples);
        Graphs.requireEntityIdsBelow(triples, numEntities);
        SparkSession spark = triples.sparkSession();
        VertexPartitioner partitioner = new VertexPartitioner(Graphs.partitions(spark));
        JavaPairRDD<Integer, int[]> adjacency = Graphs.adjacency(triples, partitioner);

        // Round 1 acts as if every vertex had just changed from "unknown" to its degree.
        JavaPairRDD<Integer, CoreState> state = adjacency.mapValues(neighbours -> {
            int[] unknown = new int[neighbours.length];
            java.util.Arrays.fill(unknown, Integer.MAX_VALUE);
            return new CoreState(neighbours, unknown, neighbours.length, true);
        });
        Graphs.Rounds rounds = new Graphs.Rounds();
        int round = 0;
        long changed;
        do {
            round++;
            // Only vertices whose estimate changed tell their neighbours (Montresor et al.); a vertex
            // keeps its neighbours' last estimates, so quiet vertices cost nothing but a pass over state.
            JavaPairRDD<Integer, Long> received = state.filter(vertex -> vertex._2().changed)
                    .flatMapToPair(vertex -> {
                        CoreState sender = vertex._2();
                        long message = ((long) vertex._1() << 32) | sender.core;
                        List<Tuple2<Integer, Long>> out = new ArrayList<>(sender.neighbours.length);
                        for (int neighbour : sender.neighbours) {
                            out.add(new Tuple2<>(neighbour, message));
                        }
                        return out.iterator();
                    });
            // Only the messages are grouped and hashed; the state streams past them (a cogroup would
            // also put every vertex's state into a hash map, every round, though late rounds touch few).
            JavaPairRDD<Integer, CoreState> next = Graphs.zipCoPartitioned(state,
                            received.groupByKey(partitioner), KCore::updatePartition)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            rounds.begin(next, round);
            changed = next.filter(vertex -> vertex._2().changed).count();
            rounds.computed(next, round);
            state = next;
            if (round == 1) {
                adjacency.unpersist(false);
            }
            LOG.debug("k-core round {}: {} estimates changed", round, changed);
        } while (changed > 0);
        LOG.info("k-core converged after {} rounds", round);
        JavaPairRDD<Integer, Integer> estimate = state.mapValues(vertex -> vertex.core);
        Dataset<Row> cores = spark.createDataFrame(
                estimate.map(vertex -> RowFactory.create(vertex._1(), vertex._2())), CORE_SCHEMA);
        Dataset<Row> all = Graphs.entityIds(spark, triples, numEntities);
        return all.join(cores, all.col("id").equalTo(cores.col("id")), "left")
                .select(all.col("id"), coalesce(cores.col("core_number"), lit(0)).as("core_number"));
    }

    private static java.util.Iterator<Tuple2<Integer, CoreState>> updatePartition(
            java.util.Iterator<Tuple2<Integer, CoreState>> states,
            java.util.Iterator<Tuple2<Integer, Iterable<Long>>> messages) {
        java.util.Map<Integer, Iterable<Long>> byVertex = new java.util.HashMap<>();
        while (messages.hasNext()) {
            Tuple2<Integer, Iterable<Long>> vertex = messages.next();
            byVertex.put(vertex._1(), vertex._2());
        }
        return new java.util.Iterator<>() {
            @Override
            public boolean hasNext() {
                return states.hasNext();
            }

            @Override
            public Tuple2<Integer, CoreState> next() {
                Tuple2<Integer, CoreState> vertex = states.next();
                Iterable<Long> heard = byVertex.get(vertex._1());
                return new Tuple2<>(vertex._1(), vertex._2().update(heard == null ? List.of() : heard));
            }
        };
    }

    /**
     * Per-vertex state: sorted neighbours, the last estimate heard from each (aligned), the vertex's own
     * estimate, and whether it changed in the last round (then it must tell its neighbours).
     */
    static final class CoreState implements java.io.Serializable {
        final int[] neighbours;
        final int[] estimates;
        final int core;
        final boolean changed;

        CoreState(int[] neighbours, int[] estimates, int core, boolean changed) {
            this.neighbours = neighbours;
            this.estimates = estimates;
            this.core = core;
            this.changed = changed;
        }

        /** Applies (sender << 32 | estimate) messages and recomputes the estimate if any arrived. */
        CoreState update(Iterable<Long> messages) {
            java.util.Iterator<Long> it = messages.iterator();
            if (!it.hasNext()) {
                return changed ? new CoreState(neighbours, estimates, core, false) : this;
            }
            int[] heard = estimates.clone();
            while (it.hasNext()) {
                long message = it.next();
                int slot = java.util.Arrays.binarySearch(neighbours, (int) (message >> 32));
                heard[slot] = (int) message;
            }
            int updated = Math.min(core, hIndex(heard, core));
            return new CoreState(neighbours, heard, updated, updated != core);
        }
    }

    /**
     * The h-index of the neighbours' estimates, capped by the vertex's own estimate: the largest h such
     * that at least h neighbours have estimate >= h. Values above the cap count as the cap.
     */
    static int hIndex(int[] neighbourEstimates, int cap) {
        int[] atLeast = new int[cap + 1];
        for (int value : neighbourEstimates) {
            atLeast[Math.min(value, cap)]++;
        }
        int count = 0;
        for (int h = cap; h > 0; h--) {
            count += atLeast[h];
            if (count >= h) {
                return h;
            }
        }
        return 0;
    }

    /** The triples whose head and tail both have core number >= k; k <= 0 keeps every triple. */
    public static Dataset<Row> reduce(Dataset<Row> triples, Dataset<Row> coreNumbers, int k) {
        Graphs.requireTriples(triples);
        Graphs.requireIntColumns(coreNumbers, "core numbers", "id", "core_number");
        if (k <= 0) {
            return triples;
        }
        Dataset<Row> core = coreNumbers.filter(col("core_number").geq(k)).select("id");
        Dataset<Row> headIn = core.withColumnRenamed("id", "core_head");
        Dataset<Row> tailIn = core.withColumnRenamed("id", "core_tail");
        return triples.join(headIn, triples.col("head").equalTo(headIn.col("core_head")), "left_semi")
                .join(tailIn, col("tail").equalTo(tailIn.col("core_tail")), "left_semi");
    }

    /**
     * Periphery layers {@code (id INT, core_number INT, layer INT)} for every row of coreNumbers: layer 0
     * for the k-core itself, d >= 1 for an entity whose BFS hop distance (undirected simple graph) to
     * the nearest core entity is d, {@link #UNREACHABLE} when no path leads to the core (or the core is
     * empty). This is the order in which the periphery gets embeddings after training on the core.
     */
    public static Dataset<Row> peripheryLayers(Dataset<Row> triples, Dataset<Row> coreNumbers, int k) {
        Graphs.requireIntColumns(coreNumbers, "core numbers", "id", "core_number");
        SparkSession spark = triples.sparkSession();
        VertexPartitioner partitioner = new VertexPartitioner(Graphs.partitions(spark));
        JavaPairRDD<Integer, int[]> adjacency = Graphs.adjacency(triples, partitioner);

        JavaPairRDD<Integer, Integer> reached = coreNumbers.filter(col("core_number").geq(k))
                .select("id").javaRDD()
                .mapToPair(row -> new Tuple2<>(row.getInt(0), 0))
                .partitionBy(partitioner)
                .persist(StorageLevel.MEMORY_AND_DISK());
        JavaPairRDD<Integer, Integer> frontier = reached;
        Graphs.Rounds rounds = new Graphs.Rounds();
        long frontierSize = reached.count();
        rounds.computed(reached, 0);
        int layer = 0;
        while (frontierSize > 0) {
            layer++;
            final int distance = layer;
            JavaPairRDD<Integer, Integer> next = Graphs.toNeighbours(adjacency, frontier)
                    .mapValues(ignored -> distance)
                    .reduceByKey(partitioner, Math::min)
                    .subtractByKey(reached, partitioner)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            frontierSize = next.count();
            JavaPairRDD<Integer, Integer> grown = reached.union(next).persist(StorageLevel.MEMORY_AND_DISK());
            rounds.begin(grown, layer);
            grown.count();
            rounds.computed(grown, layer);
            if (frontier != reached) {
                frontier.unpersist(false);
            }
            reached = grown;
            frontier = next;
        }
        Dataset<Row> layers = spark.createDataFrame(
                reached.map(vertex -> RowFactory.create(vertex._1(), vertex._2())),
                new StructType().add("layer_id", DataTypes.IntegerType, false)
                        .add("layer", DataTypes.IntegerType, false));
        adjacency.unpersist(false);
        return coreNumbers.join(layers, coreNumbers.col("id").equalTo(layers.col("layer_id")), "left")
                .select(coreNumbers.col("id"), coreNumbers.col("core_number"),
                        coalesce(layers.col("layer"), lit(UNREACHABLE)).as("layer"));
    }

    /**
     * Sizes of the k-core for every k from 0 to the maximum core number: entities with core >= k and
     * triples with both ends in it. Costs two small histograms (O(max core) rows reach the driver).
     */
    public static KCoreStats stats(Dataset<Row> triples, Dataset<Row> coreNumbers) {
        Graphs.requireTriples(triples);
        Graphs.requireIntColumns(coreNumbers, "core numbers", "id", "core_number");
        TreeMap<Integer, Long> entitiesAt = histogram(coreNumbers.groupBy("core_number").count());
        Dataset<Row> headCore = coreNumbers.select(col("id").as("h_id"), col("core_number").as("h_core"));
        Dataset<Row> tailCore = coreNumbers.select(col("id").as("t_id"), col("core_number").as("t_core"));
        Dataset<Row> tripleCore = triples.join(headCore, triples.col("head").equalTo(headCore.col("h_id")))
                .join(tailCore, col("tail").equalTo(tailCore.col("t_id")))
                .select(least(col("h_core"), col("t_core")).as("core"));
        TreeMap<Integer, Long> triplesAt = histogram(tripleCore.groupBy("core").count());
        long totalEntities = entitiesAt.values().stream().mapToLong(Long::longValue).sum();
        long totalTriples = triplesAt.values().stream().mapToLong(Long::longValue).sum();
        int maxCore = entitiesAt.isEmpty() ? 0 : entitiesAt.lastKey();
        List<KCoreStats.Level> levels = new ArrayList<>();
        long entities = totalEntities;
        long kept = totalTriples;
        for (int k = 0; k <= maxCore; k++) {
            levels.add(new KCoreStats.Level(k, entities, kept,
                    totalEntities == 0 ? 0 : (double) entities / totalEntities,
                    totalTriples == 0 ? 0 : (double) kept / totalTriples));
            entities -= entitiesAt.getOrDefault(k, 0L);
            kept -= triplesAt.getOrDefault(k, 0L);
        }
        return new KCoreStats(totalEntities, totalTriples, maxCore, levels);
    }

    private static TreeMap<Integer, Long> histogram(Dataset<Row> counts) {
        TreeMap<Integer, Long> histogram = new TreeMap<>();
        for (Row row : counts.collectAsList()) {
            histogram.put(row.getInt(0), row.getLong(1));
        }
        return histogram;
    }
}
