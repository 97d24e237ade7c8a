package org.sparkkge.partitioner;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.graphx.EdgeDirection;
import org.apache.spark.graphx.EdgeTriplet;
import org.apache.spark.graphx.Graph;
import org.apache.spark.graphx.Pregel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.collection.Iterator;

/**
 * k-core decomposition of the undirected simple graph under a KG (direction and relation ignored,
 * parallel edges merged, self-loops not counted), distributed.
 *
 * <p>Core numbers follow Montresor, De Pellegrini and Miorandi ("Distributed k-core decomposition",
 * 2013), as a GraphX Pregel program: every vertex starts with its degree as estimate and repeatedly
 * replaces it by the h-index of its neighbours' estimates (capped by its own) until no estimate
 * changes; the fixed point is the exact core number. Only vertices whose estimate changed send, and
 * what they send is the change. Nothing per vertex reaches the driver.
 */
public final class KCore {
  private static final Logger LOG = LoggerFactory.getLogger(KCore.class);

  /** Periphery layer of an entity that no path connects to the core. */
  public static final int UNREACHABLE = -1;

  public static final StructType CORE_SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("core_number", DataTypes.IntegerType, false);

  private KCore() {}

  /**
   * Core numbers of the entities occurring in {@code triples}: {@code (id INT, core_number INT)}.
   */
  public static Dataset<Row> coreNumbers(Dataset<Row> triples) {
    return coreNumbers(triples, 0);
  }

  /**
   * Core numbers {@code (id INT, core_number INT)} of entities 0..numEntities-1 (or, when
   * numEntities is 0, of the entities occurring in the triples). Entities without any non-loop edge
   * get 0.
   */
  public static Dataset<Row> coreNumbers(Dataset<Row> triples, long numEntities) {
    Graphs.requireTriples(triples);
    Graphs.requireEntityIdsBelow(triples, numEntities);
    return UndirectedGraph.with(triples, graph -> coreNumbers(graph, triples, numEntities));
  }

  /**
   * As {@link #coreNumbers(Dataset, long)} on a graph already built from {@code triples}. The
   * result is computed (and saved to the checkpoint directory, when the context has one) before
   * this returns.
   */
  public static Dataset<Row> coreNumbers(
      UndirectedGraph graph, Dataset<Row> triples, long numEntities) {
    SparkSession spark = graph.spark();
    Graph<CoreVertex, Object> start =
        graph
            .graph()
            .mapVertices(
                (GraphX.F2<Object, Object, CoreVertex>)
                    (id, degree) -> CoreVertex.start((Integer) degree),
                GraphX.tag(CoreVertex.class),
                null);
    Graph<CoreVertex, Object> done =
        Pregel.apply(
            start,
            CoreDelta.START,
            Integer.MAX_VALUE,
            EdgeDirection.Out(),
            (GraphX.F3<Object, CoreVertex, CoreDelta, CoreVertex>)
                (id, vertex, delta) -> vertex.receive(delta),
            (GraphX.F1<EdgeTriplet<CoreVertex, Object>, Iterator<Tuple2<Object, CoreDelta>>>)
                KCore::announce,
            (GraphX.F2<CoreDelta, CoreDelta, CoreDelta>) CoreDelta::merge,
            GraphX.tag(CoreVertex.class),
            GraphX.byteTag(),
            GraphX.tag(CoreDelta.class));
    JavaRDD<Row> estimates =
        GraphX.saveResult(
            done.vertices()
                .toJavaRDD()
                .map(
                    v ->
                        RowFactory.create(
                            ((Long) v._1()).intValue(), v._2().estimate, v._2().round)));
    done.unpersist(false);
    Row rounds = spark.createDataFrame(estimates, ROUND_SCHEMA).agg(functions.max("round")).first();
    LOG.info("k-core converged after {} supersteps", rounds.isNullAt(0) ? 0 : rounds.getInt(0));
    Dataset<Row> cores = spark.createDataFrame(estimates, ROUND_SCHEMA).select("id", "core_number");
    Dataset<Row> all = Graphs.entityIds(spark, triples, numEntities);
    return all.join(cores, all.col("id").equalTo(cores.col("id")), "left")
        .select(all.col("id"), coalesce(cores.col("core_number"), lit(0)).as("core_number"));
  }

  private static final StructType ROUND_SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("core_number", DataTypes.IntegerType, false)
          .add("round", DataTypes.IntegerType, false);

  /**
   * Send step of the k-core program, on the out-edges of the vertices that ran in the superstep
   * just finished (both directions of every edge exist): a source whose estimate changed in that
   * superstep tells the target (old value out, new value in); one that ran without changing, or
   * changed in an earlier superstep, sends nothing (a resent change would count twice).
   */
  private static Iterator<Tuple2<Object, CoreDelta>> announce(
      EdgeTriplet<CoreVertex, Object> edge) {
    CoreVertex source = edge.srcAttr();
    int current = Math.max(source.round, edge.dstAttr().round);
    return source.changedInRound == current
        ? GraphX.message(edge.dstId(), source.announcement(current + 1))
        : GraphX.noMessages();
  }

  /**
   * A vertex of the k-core program (Montresor, De Pellegrini and Miorandi): its estimate (starts at
   * its degree, never rises), the value its neighbours last heard from it before the latest change
   * ({@code previous}, -1 before the first), the superstep of that change and of the latest
   * superstep it ran, and how many neighbours hold each estimate: {@code histogram[v]} counts the
   * neighbours whose estimate is v, those above the vertex's own estimate counted at it (the
   * h-index caps them there anyway). O(estimate) state instead of one entry per neighbour.
   */
  static final class CoreVertex implements Serializable {
    final int estimate;
    final int previous;
    final int changedInRound;
    final int round;
    final int[] histogram;

    CoreVertex(int estimate, int previous, int changedInRound, int round, int[] histogram) {
      this.estimate = estimate;
      this.previous = previous;
      this.changedInRound = changedInRound;
      this.round = round;
      this.histogram = histogram;
    }

    static CoreVertex start(int degree) {
      return new CoreVertex(degree, -1, 0, 0, new int[degree + 1]);
    }

    /**
     * What the neighbours hear from this vertex's latest change, for superstep {@code round}; an
     * estimate only falls, so the new value sorts before the withdrawn one.
     */
    CoreDelta announcement(int round) {
      return previous < 0
          ? new CoreDelta(round, new long[] {CoreDelta.entry(estimate, 1)})
          : new CoreDelta(
              round, new long[] {CoreDelta.entry(estimate, 1), CoreDelta.entry(previous, -1)});
    }

    CoreVertex receive(CoreDelta delta) {
      if (delta.round == 0) {
        return this;
      }
      int[] counts = histogram.clone();
      for (long entry : delta.entries) {
        counts[Math.min(CoreDelta.value(entry), estimate)] += CoreDelta.count(entry);
      }
      int updated = hIndex(counts, estimate);
      if (updated >= estimate) {
        return new CoreVertex(estimate, previous, changedInRound, delta.round, counts);
      }
      int[] folded = Arrays.copyOf(counts, updated + 1);
      for (int v = updated + 1; v < counts.length; v++) {
        folded[updated] += counts[v];
      }
      return new CoreVertex(updated, estimate, delta.round, delta.round, folded);
    }
  }

  /**
   * Changes of neighbour estimates for one superstep: entries {@code value << 32 | count} (count
   * signed: +1 for a new value, -1 for a withdrawn one), ascending by value, zero counts dropped.
   */
  static final class CoreDelta implements Serializable {
    static final CoreDelta START = new CoreDelta(0, new long[0]);

    final int round;
    final long[] entries;

    CoreDelta(int round, long[] entries) {
      this.round = round;
      this.entries = entries;
    }

    static long entry(int value, int count) {
      return ((long) value << 32) | (count & 0xffffffffL);
    }

    static int value(long entry) {
      return (int) (entry >>> 32);
    }

    static int count(long entry) {
      return (int) entry;
    }

    static CoreDelta merge(CoreDelta a, CoreDelta b) {
      long[] out = new long[a.entries.length + b.entries.length];
      int i = 0;
      int j = 0;
      int n = 0;
      while (i < a.entries.length || j < b.entries.length) {
        long next;
        if (j >= b.entries.length
            || (i < a.entries.length && value(a.entries[i]) < value(b.entries[j]))) {
          next = a.entries[i++];
        } else if (i >= a.entries.length || value(b.entries[j]) < value(a.entries[i])) {
          next = b.entries[j++];
        } else {
          next = entry(value(a.entries[i]), count(a.entries[i]) + count(b.entries[j]));
          i++;
          j++;
        }
        if (count(next) != 0) {
          out[n++] = next;
        }
      }
      return new CoreDelta(Math.max(a.round, b.round), Arrays.copyOf(out, n));
    }
  }

  /**
   * The h-index of the neighbours' estimates given as a histogram capped at {@code cap} (index v:
   * how many neighbours have estimate v, or at least cap for index cap): the largest h such that at
   * least h neighbours have estimate >= h.
   */
  static int hIndex(int[] countsByEstimate, int cap) {
    int count = 0;
    for (int h = cap; h > 0; h--) {
      count += countsByEstimate[h];
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
    return triples
        .join(headIn, triples.col("head").equalTo(headIn.col("core_head")), "left_semi")
        .join(tailIn, col("tail").equalTo(tailIn.col("core_tail")), "left_semi");
  }

  /**
   * Periphery layers {@code (id INT, core_number INT, layer INT)} for every row of coreNumbers:
   * layer 0 for the k-core itself, d >= 1 for an entity whose BFS hop distance (undirected simple
   * graph) to the nearest core entity is d, {@link #UNREACHABLE} when no path leads to the core (or
   * the core is empty). This is the order in which the periphery gets embeddings after training on
   * the core.
   */
  public static Dataset<Row> peripheryLayers(
      Dataset<Row> triples, Dataset<Row> coreNumbers, int k) {
    return UndirectedGraph.with(triples, graph -> peripheryLayers(graph, coreNumbers, k));
  }

  /**
   * As {@link #peripheryLayers(Dataset, Dataset, int)} on a graph already built from the triples: a
   * Pregel breadth-first search from every core vertex at once (a vertex takes the smallest
   * distance offered and passes distance + 1 on). Computed before this returns.
   */
  public static Dataset<Row> peripheryLayers(
      UndirectedGraph graph, Dataset<Row> coreNumbers, int k) {
    Graphs.requireIntColumns(coreNumbers, "core numbers", "id", "core_number");
    SparkSession spark = graph.spark();
    JavaPairRDD<Object, Object> inCore =
        coreNumbers
            .filter(col("core_number").geq(k))
            .select("id")
            .javaRDD()
            .mapToPair(row -> new Tuple2<>((Object) (long) row.getInt(0), (Object) 0));
    Graph<Object, Object> start =
        graph
            .graph()
            .outerJoinVertices(
                inCore.rdd(),
                (GraphX.F3<Object, Object, scala.Option<Object>, Object>)
                    (id, degree, core) -> core.isDefined() ? 0 : Integer.MAX_VALUE,
                GraphX.intTag(),
                GraphX.intTag(),
                null);
    Graph<Object, Object> done =
        Pregel.apply(
            start,
            (Object) Integer.MAX_VALUE,
            Integer.MAX_VALUE,
            EdgeDirection.Out(),
            (GraphX.F3<Object, Object, Object, Object>)
                (id, distance, offered) -> Math.min((Integer) distance, (Integer) offered),
            (GraphX.F1<EdgeTriplet<Object, Object>, Iterator<Tuple2<Object, Object>>>)
                KCore::offerDistance,
            (GraphX.F2<Object, Object, Object>) (a, b) -> Math.min((Integer) a, (Integer) b),
            GraphX.intTag(),
            GraphX.byteTag(),
            GraphX.intTag());
    JavaRDD<Row> reached =
        GraphX.saveResult(
            done.vertices()
                .toJavaRDD()
                .filter(v -> (Integer) v._2() != Integer.MAX_VALUE)
                .map(v -> RowFactory.create(((Long) v._1()).intValue(), v._2())));
    done.unpersist(false);
    Dataset<Row> layers =
        spark.createDataFrame(
            reached,
            new StructType()
                .add("layer_id", DataTypes.IntegerType, false)
                .add("layer", DataTypes.IntegerType, false));
    return coreNumbers
        .join(layers, coreNumbers.col("id").equalTo(layers.col("layer_id")), "left")
        .select(
            coreNumbers.col("id"),
            coreNumbers.col("core_number"),
            coalesce(layers.col("layer"), lit(UNREACHABLE)).as("layer"));
  }

  /**
   * Send step of the BFS: a source one hop closer than its target's distance offers it that
   * distance.
   */
  private static Iterator<Tuple2<Object, Object>> offerDistance(EdgeTriplet<Object, Object> edge) {
    int source = (Integer) edge.srcAttr();
    int target = (Integer) edge.dstAttr();
    return source != Integer.MAX_VALUE && source + 1 < target
        ? GraphX.message(edge.dstId(), (Object) (source + 1))
        : GraphX.noMessages();
  }

  /**
   * Sizes of the k-core for every k from 0 to the maximum core number: entities with core >= k and
   * triples with both ends in it. Costs two small histograms (O(max core) rows reach the driver).
   */
  public static KCoreStats stats(Dataset<Row> triples, Dataset<Row> coreNumbers) {
    Graphs.requireTriples(triples);
    Graphs.requireIntColumns(coreNumbers, "core numbers", "id", "core_number");
    TreeMap<Integer, Long> entitiesAt = histogram(coreNumbers.groupBy("core_number").count());
    Dataset<Row> headCore =
        coreNumbers.select(col("id").as("h_id"), col("core_number").as("h_core"));
    Dataset<Row> tailCore =
        coreNumbers.select(col("id").as("t_id"), col("core_number").as("t_core"));
    Dataset<Row> tripleCore =
        triples
            .join(headCore, triples.col("head").equalTo(headCore.col("h_id")))
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
      levels.add(
          new KCoreStats.Level(
              k,
              entities,
              kept,
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
