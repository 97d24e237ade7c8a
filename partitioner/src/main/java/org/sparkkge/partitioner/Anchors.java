package org.sparkkge.partitioner;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import scala.Tuple2;

/**
 * NodePiece anchor selection over the undirected simple graph (only entities with at least one
 * non-loop edge are candidates). Every strategy ranks candidates by a score, higher first, ties by
 * smaller entity id, and takes the top with a distributed top-n ({@code takeOrdered}); only the chosen
 * anchors (O(anchors)) reach the driver.
 * <ul>
 *   <li>degree: number of distinct neighbours;</li>
 *   <li>pagerank: PageRank on the undirected graph (power iteration, damping d, ranks start at 1 and
 *   sum to the vertex count), rounded to 1e-9 so that floating-point summation order cannot change
 *   the ranking;</li>
 *   <li>random: a seeded hash of the entity id;</li>
 *   <li>mixture: round(A*degreeRatio) by degree, then round(A*pagerankRatio) by PageRank among the
 *   rest, then the remainder at random among the rest.</li>
 * </ul>
 */
public final class Anchors {
    public enum Strategy { DEGREE, PAGERANK, RANDOM, MIXTURE }

    /**
     * The chosen anchors, sorted by entity id: anchor index i (the token written in {@code tokens}) is
     * entity {@code entityIds[i]}. Counts tell how many each strategy contributed.
     */
    public record Selection(int[] entityIds, int byDegree, int byPagerank, int byRandom) {
        public int size() {
            return entityIds.length;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Selection s && Arrays.equals(entityIds, s.entityIds)
                    && byDegree == s.byDegree && byPagerank == s.byPagerank && byRandom == s.byRandom;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(entityIds) * 31 + byDegree * 7 + byPagerank * 3 + byRandom;
        }

        @Override
        public String toString() {
            return "Selection[" + entityIds.length + " anchors: degree " + byDegree + ", pagerank "
                    + byPagerank + ", random " + byRandom + "]";
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

    private Anchors() {}

    public static Selection select(Dataset<Row> triples, TokenizeConfig config) {
        VertexPartitioner partitioner = new VertexPartitioner(Graphs.partitions(triples.sparkSession()));
        JavaPairRDD<Integer, int[]> adjacency = Graphs.adjacency(triples, partitioner);
        try {
            return select(adjacency, partitioner, config);
        } finally {
            adjacency.unpersist(false);
        }
    }

    static Selection select(JavaPairRDD<Integer, int[]> adjacency, VertexPartitioner partitioner,
            TokenizeConfig config) {
        JavaPairRDD<Integer, Integer> degrees = degrees(adjacency, partitioner);
        try {
            long candidates = degrees.count();
            if (config.anchors() > candidates) {
                throw new IllegalArgumentException("tokenize.anchors = " + config.anchors()
                        + " exceeds the " + candidates + " entities with at least one edge");
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
            if (byPagerank > 0) {
                JavaPairRDD<Integer, Double> ranks = pageRank(adjacency, partitioner,
                        config.pagerankIterations(), config.damping());
                take(ranks.mapValues(rank -> Math.round(rank * 1e9)), byPagerank, chosen);
                ranks.unpersist(false);
            }
            if (byRandom > 0) {
                long seed = config.seed();
                take(degrees.mapToPair(v -> new Tuple2<>(v._1(), Hashing.hash(seed, v._1()) >>> 1)),
                        byRandom, chosen);
            }
            int[] ids = chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
            return new Selection(ids, byDegree, byPagerank, byRandom);
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

    /** PageRank {@code (id INT, rank DOUBLE)} of the undirected simple graph under the triples. */
    public static Dataset<Row> pageRank(Dataset<Row> triples, int iterations, double damping) {
        VertexPartitioner partitioner = new VertexPartitioner(Graphs.partitions(triples.sparkSession()));
        JavaPairRDD<Integer, int[]> adjacency = Graphs.adjacency(triples, partitioner);
        JavaPairRDD<Integer, Double> ranks = pageRank(adjacency, partitioner, iterations, damping);
        return triples.sparkSession().createDataFrame(
                ranks.map(v -> RowFactory.create(v._1(), v._2())),
                new StructType().add("id", DataTypes.IntegerType, false)
                        .add("rank", DataTypes.DoubleType, false));
    }

    /**
     * Power iteration r' = (1-d) + d * sum over neighbours u of r(u)/deg(u); every vertex here has
     * degree >= 1, so there is no dangling mass.
     */
    static JavaPairRDD<Integer, Double> pageRank(JavaPairRDD<Integer, int[]> adjacency,
            VertexPartitioner partitioner, int iterations, double damping) {
        // Each vertex carries its neighbour list with its rank, so a round is one shuffle of
        // contributions and one narrow join, with no separate degree lookup.
        JavaPairRDD<Integer, Tuple2<int[], Double>> state = adjacency.mapValues(neighbours -> new Tuple2<>(neighbours, 1.0));
        Graphs.Rounds rounds = new Graphs.Rounds();
        for (int round = 1; round <= iterations; round++) {
            JavaPairRDD<Integer, Double> received = state.flatMapToPair(vertex -> {
                        int[] neighbours = vertex._2()._1();
                        double share = vertex._2()._2() / neighbours.length;
                        List<Tuple2<Integer, Double>> out = new java.util.ArrayList<>(neighbours.length);
                        for (int neighbour : neighbours) {
                            out.add(new Tuple2<>(neighbour, share));
                        }
                        return out.iterator();
                    })
                    .reduceByKey(partitioner, Double::sum);
            JavaPairRDD<Integer, Tuple2<int[], Double>> next = state.join(received)
                    .mapValues(both -> new Tuple2<>(both._1()._1(), (1 - damping) + damping * both._2()))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            rounds.begin(next, round);
            next.count();
            rounds.computed(next, round);
            state = next;
        }
        return state.mapValues(Tuple2::_2);
    }
}
