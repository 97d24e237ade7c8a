package org.sparkkge.partitioner;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.graphx.Graph;
import org.apache.spark.graphx.lib.PageRank;
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
 * smaller entity id, and takes the top with a distributed top-n ({@code takeOrdered}); only the
 * chosen anchors (O(anchors)) reach the driver.
 *
 * <ul>
 *   <li>degree: number of distinct neighbours;
 *   <li>pagerank: GraphX's PageRank ({@code PageRank.runUntilConvergence}) on the undirected graph,
 *       damping d, ranks averaging 1, each vertex propagating until its rank changes by at most the
 *       tolerance; ranks are compared on a grid of 2^-30, so the float noise of summation order
 *       (about 1e-16) cannot reorder equal ranks across partitionings (see {@link #pageRank});
 *   <li>random: a seeded hash of the entity id;
 *   <li>mixture: round(A*degreeRatio) by degree, then round(A*pagerankRatio) by PageRank among the
 *       rest, then the remainder at random among the rest.
 * </ul>
 */
public final class Anchors {
  public enum Strategy {
    DEGREE,
    PAGERANK,
    RANDOM,
    MIXTURE
  }

  /**
   * The chosen anchors, sorted by entity id: anchor index i (the token written in {@code tokens})
   * is entity {@code entityIds[i]}. Counts tell how many each strategy contributed.
   */
  public record Selection(int[] entityIds, int byDegree, int byPagerank, int byRandom) {
    public int size() {
      return entityIds.length;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Selection s
          && Arrays.equals(entityIds, s.entityIds)
          && byDegree == s.byDegree
          && byPagerank == s.byPagerank
          && byRandom == s.byRandom;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(entityIds) * 31 + byDegree * 7 + byPagerank * 3 + byRandom;
    }

    @Override
    public String toString() {
      return "Selection["
          + entityIds.length
          + " anchors: degree "
          + byDegree
          + ", pagerank "
          + byPagerank
          + ", random "
          + byRandom
          + "]";
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

  /** PageRank scores are compared as round(rank * 2^30). */
  static final int RANK_GRID_BITS = 30;

  private Anchors() {}

  public static Selection select(Dataset<Row> triples, TokenizeConfig config) {
    return UndirectedGraph.with(triples, graph -> select(graph, config, false));
  }

  /**
   * As {@link #select(Dataset, TokenizeConfig)}; with {@code useAllWhenFewer}, a graph with fewer
   * candidates than {@code config.anchors()} makes every candidate an anchor (the selection is then
   * smaller than requested) instead of failing. No candidate at all always fails.
   */
  static Selection select(UndirectedGraph graph, TokenizeConfig config, boolean useAllWhenFewer) {
    JavaPairRDD<Integer, Integer> degrees =
        JavaPairRDD.fromJavaRDD(graph.degrees()).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long candidates = degrees.count();
      if (candidates == 0) {
        throw new IllegalArgumentException(
            "the graph has no edge between two different entities: no anchor candidates");
      }
      if (config.anchors() > candidates) {
        if (!useAllWhenFewer) {
          throw new IllegalArgumentException(
              "tokenize.anchors = "
                  + config.anchors()
                  + " exceeds the "
                  + candidates
                  + " entities with at least one edge");
        }
        config = config.withAnchors((int) candidates, config.k(), config.m());
      }
      int total = config.anchors();
      int byDegree;
      int byPagerank;
      switch (config.strategy()) {
        case DEGREE -> {
          byDegree = total;
          byPagerank = 0;
        }
        case PAGERANK -> {
          byDegree = 0;
          byPagerank = total;
        }
        case RANDOM -> {
          byDegree = 0;
          byPagerank = 0;
        }
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
        JavaPairRDD<Integer, Double> ranks =
            pageRank(graph, config.pagerankTolerance(), config.damping());
        try {
          take(ranks.mapValues(Anchors::rankScore), byPagerank, chosen);
        } finally {
          ranks.unpersist(false);
        }
      }
      if (byRandom > 0) {
        long seed = config.seed();
        take(
            degrees.mapToPair(v -> new Tuple2<>(v._1(), Hashing.hash(seed, v._1()) >>> 1)),
            byRandom,
            chosen);
      }
      int[] ids = chosen.stream().mapToInt(Integer::intValue).sorted().toArray();
      return new Selection(ids, byDegree, byPagerank, byRandom);
    } finally {
      degrees.unpersist(false);
    }
  }

  static long rankScore(double rank) {
    return Math.round(Math.scalb(rank, RANK_GRID_BITS));
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

  /** PageRank {@code (id INT, rank DOUBLE)} of the undirected simple graph under the triples. */
  public static Dataset<Row> pageRank(Dataset<Row> triples, double tolerance, double damping) {
    JavaPairRDD<Integer, Double> ranks =
        UndirectedGraph.with(triples, graph -> pageRank(graph, tolerance, damping));
    return triples
        .sparkSession()
        .createDataFrame(
            ranks.map(v -> RowFactory.create(v._1(), v._2())),
            new StructType()
                .add("id", DataTypes.IntegerType, false)
                .add("rank", DataTypes.DoubleType, false));
  }

  /**
   * GraphX's {@code PageRank.runUntilConvergence} on the graph, which holds both directions of
   * every undirected edge, so a vertex's out-degree is its number of neighbours and no vertex is a
   * sink: r = (1-d) + d * sum over neighbours u of r(u)/deg(u), ranks averaging 1. It is GraphX's
   * delta formulation (a Pregel program): a vertex passes its change on while the change exceeds
   * {@code tolerance}. Persisted (and saved to the checkpoint directory, when there is one); the
   * caller unpersists it.
   */
  static JavaPairRDD<Integer, Double> pageRank(
      UndirectedGraph graph, double tolerance, double damping) {
    if (!(tolerance > 0) || !Double.isFinite(tolerance)) {
      throw new IllegalArgumentException(
          "PageRank tolerance must be a finite number > 0, got " + tolerance);
    }
    if (!(damping > 0 && damping < 1)) {
      throw new IllegalArgumentException("PageRank damping must be in (0, 1), got " + damping);
    }
    Graph<Object, Object> directed = graph.graph();
    LOG.info("PageRank (GraphX runUntilConvergence), tolerance {}, damping {}", tolerance, damping);
    Graph<Object, Object> ranked =
        PageRank.runUntilConvergence(
            directed, tolerance, 1 - damping, GraphX.intTag(), GraphX.byteTag());
    JavaPairRDD<Integer, Double> ranks =
        JavaPairRDD.fromJavaRDD(
            GraphX.saveResult(
                ranked
                    .vertices()
                    .toJavaRDD()
                    .map(v -> new Tuple2<>(((Long) v._1()).intValue(), (Double) v._2()))));
    ranked.unpersist(false);
    return ranks;
  }
}
