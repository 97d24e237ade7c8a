package org.sparkkge.partitioner;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import scala.Tuple2;

/**
 * NodePiece anchor selection over the undirected simple graph (only entities with at least one
 * non-loop edge are candidates). Every strategy ranks candidates by a score, higher first, ties by
 * smaller entity id, and takes the top with a distributed top-n ({@code takeOrdered}); only the chosen
 * anchors (O(anchors)) reach the driver.
 * <ul>
 *   <li>degree: number of distinct neighbours;</li>
 *   <li>pagerank: PageRank on the undirected graph (power iteration, damping d, ranks start at 1 and
 *   sum to the vertex count) until the L1 change falls to the tolerance or the iteration cap; computed
 *   in fixed point, so ranks are bit-identical for any partitioning (see {@link #pageRank});</li>
 *   <li>random: a seeded hash of the entity id;</li>
 *   <li>mixture: round(A*degreeRatio) by degree, then round(A*pagerankRatio) by PageRank among the
 *   rest, then the remainder at random among the rest.</li>
 * </ul>
 */
public final class Anchors {
    public enum Strategy { DEGREE, PAGERANK, RANDOM, MIXTURE }

    /**
     * The chosen anchors, sorted by entity id: anchor index i (the token written in {@code tokens}) is
     * entity {@code entityIds[i]}. Counts tell how many each strategy contributed;
     * {@code pagerankIterations} how many PageRank iterations ran (0 when PageRank was not needed).
     */
    public record Selection(int[] entityIds, int byDegree, int byPagerank, int byRandom, int pagerankIterations) {
        public int size() {
            return entityIds.length;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Selection s && Arrays.equals(entityIds, s.entityIds)
                    && byDegree == s.byDegree && byPagerank == s.byPagerank && byRandom == s.byRandom
                    && pagerankIterations == s.pagerankIterations;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(entityIds) * 31 + byDegree * 7 + byPagerank * 3 + byRandom + 11 * pagerankIterations;
        }

        @Override
        public String toString() {
            return "Selection[" + entityIds.length + " anchors: degree " + byDegree + ", pagerank "
                    + byPagerank + ", random " + byRandom + "; PageRank iterations " + pagerankIterations + "]";
        }
    }

    /** Higher score first, then smaller id. */
    private static final class ByScore implements Comparator<Tuple2<Integer, Long>>, Serializable {
        @Override
        public int compare(Tuple2<Integer, Long> a, Tuple2<Integer, Long> b) {
            int byScore = Long.compare(b._2(), a._2());
            return byScore != 0 ? byScore : Integer.compare(a._1(), b._1());
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(Anchors.class);

    private Anchors() {}

    public static Selection select(Dataset<Row> triples, TokenizeConfig config) {
        VertexPartitioner partitioner = new VertexPartitioner(Graphs.partitions(triples.sparkSession()));
        JavaPairRDD<Integer, int[]> adjacency = Graphs.adjacency(triples, partitioner);
        try {
            return select(adjacency, partitioner, config, false);
        } finally {
            adjacency.unpersist(false);
        }
    }

    /**
     * As {@link #select(Dataset, TokenizeConfig)}; with {@code useAllWhenFewer}, a graph with fewer
     * candidates than {@code config.anchors()} makes every candidate an anchor (the selection is then
     * smaller than requested) instead of failing. No candidate at all always fails.
     */
    static Selection select(JavaPairRDD<Integer, int[]> adjacency, VertexPartitioner partitioner,
            TokenizeConfig config, boolean useAllWhenFewer) {
        JavaPairRDD<Integer, Integer> degrees = degrees(adjacency, partitioner);
        try {
            long candidates = degrees.count();
            if (candidates == 0) {
                throw new IllegalArgumentException(
                        "the graph has no edge between two different entities: no anchor candidates");
            }
            if (config.anchors() > candidates) {
                if (!useAllWhenFewer) {
                    throw new IllegalArgumentException("tokenize.anchors = " + config.anchors()
                            + " exceeds the " + candidates + " entities with at least one edge");
                }
                config = config.withAnchors((int) candidates, config.k(), config.m());
            }
            int total = config.anchors();
            int byDegree;
            int byPagerank;
            switch (config.strategy()) {
                case DEGREE -> { byDegree = total; byPagerank = 0; }
                case PAGERANK -> { byDegree = 0; byPagerank = total; }
                case RANDOM -> { byDegree = 0; byPagerank = 0; }
                default -> {
                    byDegree = (int) Math.round(total * config.degreeRatio());
                    byPagerank = Math.min(total - byDegree, (int) Math.round(total * config.pagerankRatio()));
                }
            }
            int byRandom = total - byDegree - byPagerank;
            Set<Integer> chosen = new LinkedHashSet<>();
            if (byDegree > 0) {
                take(degrees.mapValues(Integer::longValue), byDegree, chosen);
            }
            int pagerankIterations = 0;
            if (byPagerank > 0) {
                PageRankResult ranks = pageRank(adjacency, partitioner, config.pagerankIterations(),
                        config.pagerankTolerance(), config.damping());
                try {
                    // Ranks are positive and bit-identical across runs: their bit patterns order them exactly.
                    take(ranks.ranks().mapValues(Double::doubleToLongBits), byPagerank, chosen);
                } finally {
                    ranks.release().run();
                }
                pagerankIterations = ranks.iterations();
            }
            if (byRandom > 0) {
                long seed = config.seed();
                take(degrees.mapToPair(v -> new Tuple2<>(v._1(), Hashing.hash(seed, v._1()) >>> 1)),
                        byRandom, chosen);
            }
            int[] ids = chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
            return new Selection(ids, byDegree, byPagerank, byRandom, pagerankIterations);
        } finally {
            degrees.unpersist(false);
        }
    }

    /** Adds the best {@code count} not yet chosen entities by score (distributed top-n). */
    private static void take(JavaPairRDD<Integer, Long> scores, int count, Set<Integer> chosen) {
        List<Tuple2<Integer, Long>> top = scores.takeOrdered(count + chosen.size(), new ByScore());
        int added = 0;
        for (Tuple2<Integer, Long> candidate : top) {
            if (added == count) {
                break;
            }
            if (chosen.add(candidate._1())) {
                added++;
            }
        }
    }

    static JavaPairRDD<Integer, Integer> degrees(JavaPairRDD<Integer, int[]> adjacency,
            VertexPartitioner partitioner) {
        return adjacency.mapValues(neighbours -> neighbours.length).persist(StorageLevel.MEMORY_AND_DISK());
    }

    /**
     * Result of a PageRank run: {@code ranks} (id, rank) over the vertices with an edge, persisted until
     * {@link #release}; {@code iterations} power iterations run; {@code lastChange} the L1 change of
     * the rank vector in the last iteration (ranks sum to the vertex count, see {@link #pageRank}).
     */
    public record PageRankResult(JavaPairRDD<Integer, Double> ranks, int iterations, double lastChange,
            long vertices, Runnable release) {}

    /** PageRank {@code (id INT, rank DOUBLE)} of the undirected simple graph under the triples, fixed iterations. */
    public static Dataset<Row> pageRank(Dataset<Row> triples, int iterations, double damping) {
        return pageRankRows(triples, pageRank(triples, iterations, 0.0, damping));
    }

    /**
     * PageRank of the undirected simple graph under the triples, at most {@code maxIterations} power
     * iterations, stopping early once the L1 change of the rank vector is at most
     * {@code tolerance * vertices} (0: only when the ranks no longer change at all). The ranks stay
     * persisted until {@code release} runs.
     */
    public static PageRankResult pageRank(Dataset<Row> triples, int maxIterations, double tolerance,
            double damping) {
        VertexPartitioner partitioner = new VertexPartitioner(Graphs.partitions(triples.sparkSession()));
        JavaPairRDD<Integer, int[]> adjacency = Graphs.adjacency(triples, partitioner);
        PageRankResult result = pageRank(adjacency, partitioner, maxIterations, tolerance, damping);
        return new PageRankResult(result.ranks(), result.iterations(), result.lastChange(), result.vertices(),
                () -> {
                    result.release().run();
                    adjacency.unpersist(false);
                });
    }

    /** The ranks of {@code result} as rows {@code (id INT, rank DOUBLE)}. */
    public static Dataset<Row> pageRankRows(Dataset<Row> triples, PageRankResult result) {
        return triples.sparkSession().createDataFrame(
                result.ranks().map(v -> RowFactory.create(v._1(), v._2())),
                new StructType().add("id", DataTypes.IntegerType, false)
                        .add("rank", DataTypes.DoubleType, false));
    }

    /**
     * Power iteration r' = (1-d) + d * sum over neighbours u of r(u)/deg(u), from r = 1; every vertex
     * here has degree >= 1, so there is no dangling mass and the ranks keep summing to the vertex count.
     *
     * <p><b>Stopping.</b> After each iteration the L1 change sum |r' - r| is summed on the executors
     * (one number reaches the driver); the run stops when it is at most {@code tolerance * vertices}
     * (the mean absolute change per vertex, whose rank averages 1), or after {@code maxIterations}.
     * Because the map is a contraction with factor d in L1, the ranks are then within
     * d/(1-d) * tolerance * vertices (L1) of the exact PageRank.
     *
     * <p><b>Determinism.</b> Contributions r(u)/deg(u) and the per-vertex changes are rounded to a fixed
     * point grid of 2^-shift (shift = 62 - bit length of the vertex count, so no sum can overflow a
     * long) and summed as longs: integer sums do not depend on the order in which shuffle blocks or
     * tasks arrive, so ranks, the stopping iteration and the chosen anchors are bit-identical for any
     * partitioning. The grid is 2^-41 (about 5e-13) for a million vertices, 2^-31 for a billion.
     *
     * <p><b>Layout.</b> Each vertex partition is one compressed block (sorted ids, neighbour offsets,
     * neighbours) and the ranks one double[] aligned with it, so an iteration is one shuffle of
     * contributions pre-summed per target within the sending partition, then a positional zip: no
     * per-vertex objects, joins or hash maps of whole partitions.
     */
    static PageRankResult pageRank(JavaPairRDD<Integer, int[]> adjacency, VertexPartitioner partitioner,
            int maxIterations, double tolerance, double damping) {
        if (maxIterations < 1) {
            throw new IllegalArgumentException("PageRank iterations must be >= 1, got " + maxIterations);
        }
        if (!(tolerance >= 0)) {
            throw new IllegalArgumentException("PageRank tolerance must be >= 0, got " + tolerance);
        }
        JavaRDD<Block> blocks = adjacency.mapPartitions(Block::of, true).persist(StorageLevel.MEMORY_AND_DISK());
        long vertices = blocks.map(block -> (long) block.ids.length).fold(0L, Long::sum);
        int shift = fixedPointShift(vertices);
        double scale = Math.scalb(1.0, shift);
        LOG.info("PageRank over {} vertices: at most {} iterations, tolerance {}", vertices, maxIterations, tolerance);
        JavaRDD<double[]> ranks = blocks.map(block -> {
            double[] start = new double[block.ids.length];
            Arrays.fill(start, 1.0);
            return start;
        });
        Graphs.Rounds rounds = new Graphs.Rounds();
        double stopBelow = tolerance * vertices;
        double change = Double.NaN;
        int iteration = 0;
        while (iteration < maxIterations) {
            iteration++;
            JavaRDD<Tuple2<Integer, Long>> shares = blocks.zipPartitions(ranks,
                    (blockIt, rankIt) -> contributions(blockIt.next(), rankIt.next(), scale));
            JavaPairRDD<Integer, Long> received = JavaPairRDD.fromJavaRDD(shares).partitionBy(partitioner);
            JavaRDD<Tuple2<Block, double[]>> current = blocks.zipPartitions(ranks,
                    (blockIt, rankIt) -> List.of(new Tuple2<>(blockIt.next(), rankIt.next())).iterator());
            JavaRDD<RankBlock> next = current.zipPartitions(received,
                            (currentIt, receivedIt) -> List.of(
                                    update(currentIt.next(), receivedIt, damping, scale)).iterator())
                    .persist(StorageLevel.MEMORY_AND_DISK());
            rounds.begin(next, iteration);
            long changeFixed = next.map(block -> block.change).fold(0L, Long::sum);
            rounds.computed(next, iteration);
            ranks = next.map(block -> block.ranks);
            change = changeFixed / scale;
            LOG.debug("PageRank iteration {}: L1 change {}", iteration, change);
            if (change <= stopBelow) {
                break;
            }
        }
        LOG.info("PageRank: {} iterations, last L1 change {} over {} vertices", iteration, change, vertices);
        JavaPairRDD<Integer, Double> result = JavaPairRDD.fromJavaRDD(blocks.zipPartitions(ranks,
                (blockIt, rankIt) -> {
                    Block block = blockIt.next();
                    double[] rank = rankIt.next();
                    List<Tuple2<Integer, Double>> out = new ArrayList<>(block.ids.length);
                    for (int i = 0; i < block.ids.length; i++) {
                        out.add(new Tuple2<>(block.ids[i], rank[i]));
                    }
                    return out.iterator();
                }));
        return new PageRankResult(result, iteration, change, vertices, () -> {
            rounds.release();
            blocks.unpersist(false);
        });
    }

    /** Bits after the binary point of the fixed-point sums: 62 minus the bit length of the vertex count. */
    static int fixedPointShift(long vertices) {
        // A vertex's received sum is at most the total rank mass (= vertices < 2^bits) and the L1 change at
        // most twice that, so every fixed-point sum stays below 2^62.
        int bits = 64 - Long.numberOfLeadingZeros(Math.max(1, vertices));
        return 61 - bits;
    }

    /** One vertex partition of the undirected graph: ascending ids, CSR offsets and neighbours. */
    static final class Block implements java.io.Serializable {
        final int[] ids;
        final int[] offsets;
        final int[] neighbours;

        private Block(int[] ids, int[] offsets, int[] neighbours) {
            this.ids = ids;
            this.offsets = offsets;
            this.neighbours = neighbours;
        }

        static Iterator<Block> of(Iterator<Tuple2<Integer, int[]>> vertices) {
            List<Tuple2<Integer, int[]>> all = new ArrayList<>();
            long edges = 0;
            while (vertices.hasNext()) {
                Tuple2<Integer, int[]> vertex = vertices.next();
                all.add(vertex);
                edges += vertex._2().length;
            }
            if (edges > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("a vertex partition holds " + edges
                        + " adjacency entries, more than an array can; raise spark.sql.shuffle.partitions");
            }
            all.sort((a, b) -> Integer.compare(a._1(), b._1()));
            int[] ids = new int[all.size()];
            int[] offsets = new int[all.size() + 1];
            int[] neighbours = new int[(int) edges];
            int at = 0;
            for (int i = 0; i < ids.length; i++) {
                ids[i] = all.get(i)._1();
                int[] list = all.get(i)._2();
                System.arraycopy(list, 0, neighbours, at, list.length);
                at += list.length;
                offsets[i + 1] = at;
            }
            return List.of(new Block(ids, offsets, neighbours)).iterator();
        }
    }

    /** New ranks of one block and its L1 change in fixed point. */
    static final class RankBlock implements java.io.Serializable {
        final double[] ranks;
        final long change;

        RankBlock(double[] ranks, long change) {
            this.ranks = ranks;
            this.change = change;
        }
    }

    /** Fixed-point shares r(u)/deg(u), summed per target inside this partition before the shuffle. */
    private static Iterator<Tuple2<Integer, Long>> contributions(Block block, double[] rank, double scale) {
        IntLongMap sums = new IntLongMap(Math.max(16, block.ids.length));
        for (int i = 0; i < block.ids.length; i++) {
            int from = block.offsets[i];
            int to = block.offsets[i + 1];
            long share = Math.round(rank[i] / (to - from) * scale);
            for (int e = from; e < to; e++) {
                sums.add(block.neighbours[e], share);
            }
        }
        return sums.entries();
    }

    private static RankBlock update(Tuple2<Block, double[]> current, Iterator<Tuple2<Integer, Long>> received,
            double damping, double scale) {
        Block block = current._1();
        double[] old = current._2();
        long[] sums = new long[block.ids.length];
        while (received.hasNext()) {
            Tuple2<Integer, Long> share = received.next();
            int index = Arrays.binarySearch(block.ids, share._1());
            if (index < 0) {
                throw new IllegalStateException("PageRank share for vertex " + share._1()
                        + ", which is not in its partition's adjacency (graph not undirected?)");
            }
            sums[index] += share._2();
        }
        double[] ranks = new double[sums.length];
        long change = 0;
        for (int i = 0; i < sums.length; i++) {
            ranks[i] = (1 - damping) + damping * (sums[i] / scale);
            change += Math.round(Math.abs(ranks[i] - old[i]) * scale);
        }
        return new RankBlock(ranks, change);
    }

    /** Open-addressing map from non-negative int keys to long sums (no boxing on the hot path). */
    static final class IntLongMap {
        private int[] keys;
        private long[] values;
        private int size;

        IntLongMap(int expected) {
            int capacity = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
            keys = new int[capacity];
            values = new long[capacity];
            Arrays.fill(keys, -1);
        }

        void add(int key, long value) {
            int mask = keys.length - 1;
            int slot = (int) Hashing.mix(key) & mask;
            while (keys[slot] != -1 && keys[slot] != key) {
                slot = (slot + 1) & mask;
            }
            if (keys[slot] == -1) {
                keys[slot] = key;
                size++;
            }
            values[slot] += value;
            if (size * 2 > keys.length) {
                grow();
            }
        }

        private void grow() {
            int[] oldKeys = keys;
            long[] oldValues = values;
            keys = new int[oldKeys.length * 2];
            values = new long[oldKeys.length * 2];
            Arrays.fill(keys, -1);
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != -1) {
                    add(oldKeys[i], oldValues[i]);
                }
            }
        }

        int size() {
            return size;
        }

        long get(int key) {
            int mask = keys.length - 1;
            int slot = (int) Hashing.mix(key) & mask;
            while (keys[slot] != -1) {
                if (keys[slot] == key) {
                    return values[slot];
                }
                slot = (slot + 1) & mask;
            }
            return 0;
        }

        Iterator<Tuple2<Integer, Long>> entries() {
            List<Tuple2<Integer, Long>> out = new ArrayList<>(size);
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != -1) {
                    out.add(new Tuple2<>(keys[i], values[i]));
                }
            }
            return out.iterator();
        }
    }
}
