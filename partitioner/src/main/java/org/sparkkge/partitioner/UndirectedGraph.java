package org.sparkkge.partitioner;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;

import java.util.List;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.graphx.Edge;
import org.apache.spark.graphx.Graph;
import org.apache.spark.graphx.PartitionStrategy;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The undirected simple graph under a KG as a GraphX graph, built once and shared by the graph
 * algorithms: for every unordered pair of distinct entities that some triple links (direction and
 * relation ignored, parallel edges merged, self-loops dropped), the two directed edges between
 * them. Vertices are the entities with at least one such edge; a vertex's attribute is its number
 * of distinct neighbours (its out-degree here). Storing both directions lets the Pregel programs
 * send along out-edges only (EdgeDirection.Out), so a superstep visits the edges of the vertices
 * that changed through GraphX's source index instead of scanning every edge.
 */
public final class UndirectedGraph {
  /**
   * How edges are spread over partitions. EdgePartition2D bounds a vertex's replicas by 2
   * sqrt(partitions), which keeps the vertex shipping of Pregel supersteps small on hub-heavy KGs:
   * on 10^6 synthetic triples k-core, PageRank and tokenize took 0.69, 0.82 and 0.69 of the time
   * RandomVertexCut took, at under half the peak memory (measured before edges were stored in both
   * directions; docs/benchmarks.md).
   */
  static final String STRATEGY_KEY = "spark.kge.graphx.partition-strategy";

  static final String DEFAULT_STRATEGY = "EdgePartition2D";

  private final Graph<Object, Object> graph;
  private final SparkSession spark;

  private UndirectedGraph(SparkSession spark, Graph<Object, Object> graph) {
    this.spark = spark;
    this.graph = graph;
  }

  /**
   * Builds the graph from {@code (head INT, relation INT, tail INT)} triples (ids must be >= 0).
   */
  public static UndirectedGraph of(Dataset<Row> triples) {
    Graphs.requireTriples(triples);
    SparkSession spark = triples.sparkSession();
    int partitions = Graphs.partitions(spark);
    JavaRDD<Edge<Object>> edges =
        triples
            .select(
                least(col("head"), col("tail")).as("a"), greatest(col("head"), col("tail")).as("b"))
            .filter(col("a").notEqual(col("b")))
            .distinct()
            .javaRDD()
            .flatMap(
                row -> {
                  int a = row.getInt(0);
                  int b = row.getInt(1);
                  if (a < 0) {
                    throw new IllegalArgumentException(
                        "triple with entity id "
                            + a
                            + ": entity ids must be dense non-negative ints");
                  }
                  return List.of(new Edge<Object>(a, b, (byte) 0), new Edge<Object>(b, a, (byte) 0))
                      .iterator();
                });
    PartitionStrategy strategy = strategy(spark);
    Graph<Object, Object> plain =
        Graph.fromEdges(
            edges.rdd(),
            (Object) 0,
            StorageLevel.MEMORY_AND_DISK(),
            StorageLevel.MEMORY_AND_DISK(),
            GraphX.intTag(),
            GraphX.byteTag());
    Graph<Object, Object> partitioned = plain.partitionBy(strategy, partitions);
    Graph<Object, Object> withDegrees =
        partitioned.outerJoinVertices(
            partitioned.ops().outDegrees(),
            (GraphX.F3<Object, Object, scala.Option<Object>, Object>)
                (id, ignored, degree) -> degree.get(),
            GraphX.intTag(),
            GraphX.intTag(),
            null);
    withDegrees.cache();
    plain.unpersist(false);
    return new UndirectedGraph(spark, withDegrees);
  }

  /**
   * Builds the graph from {@code triples}, runs {@code program} on it and frees the graph. The
   * graph programs compute and save their results before returning, so what {@code program} returns
   * does not need the graph.
   */
  public static <T> T with(Dataset<Row> triples, Function<UndirectedGraph, T> program) {
    UndirectedGraph graph = of(triples);
    try {
      return program.apply(graph);
    } finally {
      graph.release();
    }
  }

  /**
   * The partition strategy of {@value #STRATEGY_KEY} (Spark setting), default {@value
   * #DEFAULT_STRATEGY}.
   */
  static PartitionStrategy strategy(SparkSession spark) {
    String name = spark.conf().get(STRATEGY_KEY, DEFAULT_STRATEGY);
    try {
      return PartitionStrategy.fromString(name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          STRATEGY_KEY
              + " must be one of EdgePartition2D, EdgePartition1D,"
              + " RandomVertexCut, CanonicalRandomVertexCut, got '"
              + name
              + "'",
          e);
    }
  }

  /** Vertex attribute: degree (boxed Integer); edge attribute: an unused byte. */
  Graph<Object, Object> graph() {
    return graph;
  }

  SparkSession spark() {
    return spark;
  }

  /** {@code (id, degree)} of every vertex. */
  JavaRDD<scala.Tuple2<Integer, Integer>> degrees() {
    return graph
        .vertices()
        .toJavaRDD()
        .map(v -> new scala.Tuple2<>(((Long) v._1()).intValue(), (Integer) v._2()));
  }

  /** Frees the cached graph. */
  public void release() {
    graph.unpersist(false);
  }
}
