package org.sparkkge.partitioner;

import static org.apache.spark.sql.functions.array_repeat;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.graphx.EdgeDirection;
import org.apache.spark.graphx.EdgeTriplet;
import org.apache.spark.graphx.Graph;
import org.apache.spark.graphx.Pregel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;
import scala.collection.Iterator;

/**
 * NodePiece tokenization (Galkin et al., ICLR 2022), distributed.
 *
 * <p><b>Anchors.</b> For every entity, its k nearest anchors with hop distances over the undirected
 * simple graph, found by a multi-source BFS from all anchors at once (a GraphX Pregel program):
 * superstep d extends only the entries found in superstep d-1, and every vertex keeps only its k
 * best (distance, anchor) pairs, so per-vertex state and every message are O(k). <b>Tie rule:</b>
 * pairs are ordered by distance, then by anchor index (= order of anchor entity ids); the kept k
 * are the first k in that order, and the arrays are written in that order. Keeping only the best k
 * per vertex is exact: if an anchor is among v's best k at distance d, it is among the best k of
 * v's neighbour on a shortest path at distance d-1 (else that neighbour's k better anchors would be
 * k better anchors for v). Anchors farther than {@code maxHops} are not found; missing slots hold
 * {@link #PADDING} in both arrays. An anchor's first token is itself at distance 0.
 *
 * <p><b>Relations.</b> Each triple (h, r, t) gives h the token r and t the inverse token r +
 * numRelations. Per entity, the m tokens are sampled <i>without replacement</i> from the set of its
 * distinct incident tokens: the m with the smallest seeded hash of (seed, entity, token); written
 * in ascending token order, padded with {@link #PADDING} when fewer than m exist.
 */
public final class NodePiece {
  private static final Logger LOG = LoggerFactory.getLogger(NodePiece.class);

  public static final int PADDING = -1;

  public static final StructType DISTANCE_SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("anchors", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
          .add("distances", DataTypes.createArrayType(DataTypes.IntegerType, false), false);

  public static final StructType RELATION_SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("relations", DataTypes.createArrayType(DataTypes.IntegerType, false), false);

  public static final StructType VOCAB_SCHEMA =
      new StructType()
          .add("token_id", DataTypes.IntegerType, false)
          .add("kind", DataTypes.StringType, false)
          .add("local_id", DataTypes.IntegerType, false)
          .add("source_id", DataTypes.IntegerType, false);

  /**
   * Result of {@link #tokenize}. {@code tokens}: (id INT, anchors ARRAY&lt;INT&gt;[k] of anchor
   * indices, distances ARRAY&lt;INT&gt;[k], relations ARRAY&lt;INT&gt;[m] of relation tokens);
   * {@code vocab}: see {@link #vocab}. {@code bfsRounds}: BFS rounds run.
   */
  public record Tokenization(
      Dataset<Row> tokens, Dataset<Row> vocab, Anchors.Selection anchors, int bfsRounds) {}

  private NodePiece() {}

  /**
   * Anchors, nearest-anchor tokens, relation tokens and vocabulary for entities 0..numEntities-1.
   */
  public static Tokenization tokenize(
      Dataset<Row> triples, long numEntities, int numRelations, TokenizeConfig config) {
    return tokenize(triples, numEntities, numRelations, config, false);
  }

  /**
   * As {@link #tokenize(Dataset, long, int, TokenizeConfig)}; with {@code
   * useAllAnchorCandidatesWhenFewer}, a graph with fewer entities that have an edge than {@code
   * config.anchors()} uses all of them as anchors ({@code anchors().size()} tells how many) instead
   * of failing, without a separate pass to count them first.
   */
  public static Tokenization tokenize(
      Dataset<Row> triples,
      long numEntities,
      int numRelations,
      TokenizeConfig config,
      boolean useAllAnchorCandidatesWhenFewer) {
    Graphs.requireTriples(triples);
    Graphs.requireEntityIdsBelow(triples, numEntities);
    SparkSession spark = triples.sparkSession();
    UndirectedGraph graph = UndirectedGraph.of(triples);
    Anchors.Selection anchors;
    Distances distances;
    try {
      LOG.info("tokenize: choosing {} anchors ({})", config.anchors(), config.strategy());
      anchors = Anchors.select(graph, config, useAllAnchorCandidatesWhenFewer);
      LOG.info("anchors chosen: {}", anchors);
      distances = anchorDistances(graph, anchors.entityIds(), config.k(), config.maxHops());
    } finally {
      graph.release();
    }
    Dataset<Row> withAll =
        padMissing(Graphs.entityIds(spark, triples, numEntities), distances.rows, config.k());
    Dataset<Row> relations =
        relationContext(triples, numEntities, numRelations, config.m(), config.seed());
    Dataset<Row> tokens =
        withAll.join(relations, "id").select("id", "anchors", "distances", "relations");
    return new Tokenization(tokens, vocab(spark, anchors, numRelations), anchors, distances.rounds);
  }

  private record Distances(Dataset<Row> rows, int rounds) {}

  /**
   * Nearest anchors {@code (id INT, anchors ARRAY<INT>[k], distances ARRAY<INT>[k])} for the given
   * anchor entities (anchor index = position in the sorted ids), with the tie rule above.
   */
  public static Dataset<Row> anchorDistances(
      Dataset<Row> triples, long numEntities, int[] anchorEntityIds, int k, int maxHops) {
    SparkSession spark = triples.sparkSession();
    int[] sorted = anchorEntityIds.clone();
    Arrays.sort(sorted);
    for (int i = 1; i < sorted.length; i++) {
      if (sorted[i] == sorted[i - 1]) {
        throw new IllegalArgumentException("anchor entity " + sorted[i] + " given twice");
      }
    }
    Distances distances =
        UndirectedGraph.with(triples, graph -> anchorDistances(graph, sorted, k, maxHops));
    return padMissing(Graphs.entityIds(spark, triples, numEntities), distances.rows, k);
  }

  /**
   * The multi-source BFS as a GraphX Pregel program. Superstep d hands every vertex the anchors its
   * neighbours found at distance d - 1 (at most 2k of them, smallest indices first) and it keeps
   * the best k. Computed (and saved to the checkpoint directory, when there is one) before this
   * returns.
   */
  private static Distances anchorDistances(
      UndirectedGraph graph, int[] sortedAnchors, int k, int maxHops) {
    SparkSession spark = graph.spark();
    List<Tuple2<Object, Object>> indices = new ArrayList<>(sortedAnchors.length);
    for (int index = 0; index < sortedAnchors.length; index++) {
      indices.add(new Tuple2<>((long) sortedAnchors[index], index));
    }
    JavaPairRDD<Object, Object> anchorIndex =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelizePairs(indices);
    Graph<AnchorVertex, Object> start =
        graph
            .graph()
            .outerJoinVertices(
                anchorIndex.rdd(),
                (GraphX.F3<Object, Object, scala.Option<Object>, AnchorVertex>)
                    (id, degree, index) ->
                        AnchorVertex.start(index.isDefined() ? (Integer) index.get() : -1),
                GraphX.intTag(),
                GraphX.tag(AnchorVertex.class),
                null);
    int candidateLimit = 2 * k;
    Graph<AnchorVertex, Object> done =
        Pregel.apply(
            start,
            AnchorOffer.START,
            Integer.MAX_VALUE,
            EdgeDirection.Out(),
            (GraphX.F3<Object, AnchorVertex, AnchorOffer, AnchorVertex>)
                (id, vertex, offer) -> vertex.receive(offer, k),
            (GraphX.F1<EdgeTriplet<AnchorVertex, Object>, Iterator<Tuple2<Object, AnchorOffer>>>)
                edge -> offerAnchors(edge, maxHops),
            // A vertex that is not yet full holds at most k-1 entries, so among the 2k smallest
            // distinct candidate anchors at least k are new to it: truncating offers to 2k stays
            // exact.
            (GraphX.F2<AnchorOffer, AnchorOffer, AnchorOffer>)
                (a, b) ->
                    new AnchorOffer(
                        Math.max(a.round, b.round),
                        mergeSortedDistinct(a.anchors, b.anchors, candidateLimit)),
            GraphX.tag(AnchorVertex.class),
            GraphX.byteTag(),
            GraphX.tag(AnchorOffer.class));
    JavaRDD<Row> found =
        GraphX.saveResult(
            done.vertices()
                .toJavaRDD()
                .map(
                    vertex -> {
                      long[] entries = vertex._2().entries;
                      int[] anchorIndices = new int[k];
                      int[] distances = new int[k];
                      Arrays.fill(anchorIndices, PADDING);
                      Arrays.fill(distances, PADDING);
                      for (int i = 0; i < entries.length; i++) {
                        anchorIndices[i] = (int) entries[i];
                        distances[i] = (int) (entries[i] >>> 32);
                      }
                      return RowFactory.create(
                          ((Long) vertex._1()).intValue(),
                          anchorIndices,
                          distances,
                          vertex._2().round);
                    }));
    done.unpersist(false);
    Dataset<Row> withRounds =
        spark.createDataFrame(found, DISTANCE_SCHEMA.add("round", DataTypes.IntegerType, false));
    Row last = withRounds.agg(org.apache.spark.sql.functions.max("round")).first();
    int rounds = last.isNullAt(0) ? 0 : last.getInt(0);
    LOG.info("anchor BFS finished after {} supersteps", rounds);
    return new Distances(withRounds.drop("round"), rounds);
  }

  /**
   * Send step of the BFS, on the out-edges of the vertices that ran in the superstep just finished
   * (both directions of every edge exist): a source that found anchors in that superstep offers
   * them to the target, for superstep current + 1 (nothing beyond {@code maxHops}). One that found
   * them earlier sends nothing: its offer went out then.
   */
  private static Iterator<Tuple2<Object, AnchorOffer>> offerAnchors(
      EdgeTriplet<AnchorVertex, Object> edge, int maxHops) {
    AnchorVertex source = edge.srcAttr();
    int current = Math.max(source.round, edge.dstAttr().round);
    if (current >= maxHops || source.foundInRound != current || source.found.length == 0) {
      return GraphX.noMessages();
    }
    return GraphX.message(edge.dstId(), new AnchorOffer(current + 1, source.found));
  }

  /**
   * A vertex of the anchor BFS: its entries (distance << 32 | anchor index, ascending, at most k),
   * the anchors it found in its latest find ({@code found}, ascending) and that superstep, and the
   * latest superstep it ran.
   */
  static final class AnchorVertex implements Serializable {
    final long[] entries;
    final int[] found;
    final int foundInRound;
    final int round;

    AnchorVertex(long[] entries, int[] found, int foundInRound, int round) {
      this.entries = entries;
      this.found = found;
      this.foundInRound = foundInRound;
      this.round = round;
    }

    /** An anchor (index >= 0) starts with itself at distance 0; any other vertex with nothing. */
    static AnchorVertex start(int anchorIndex) {
      return anchorIndex >= 0
          ? new AnchorVertex(new long[] {anchorIndex}, new int[] {anchorIndex}, 0, 0)
          : new AnchorVertex(NO_ENTRIES, NO_ANCHORS, -1, 0);
    }

    AnchorVertex receive(AnchorOffer offer, int k) {
      if (offer.round == 0) {
        return this;
      }
      Tuple2<long[], int[]> extended = extend(entries, offer.anchors, k, offer.round);
      return extended._2().length > 0
          ? new AnchorVertex(extended._1(), extended._2(), offer.round, offer.round)
          : new AnchorVertex(entries, found, foundInRound, offer.round);
    }
  }

  /** Anchor indices (ascending, distinct) offered to a vertex for superstep {@code round}. */
  static final class AnchorOffer implements Serializable {
    static final AnchorOffer START = new AnchorOffer(0, NO_ANCHORS);

    final int round;
    final int[] anchors;

    AnchorOffer(int round, int[] anchors) {
      this.round = round;
      this.anchors = anchors;
    }
  }

  private static final long[] NO_ENTRIES = new long[0];
  private static final int[] NO_ANCHORS = new int[0];

  private static Tuple2<long[], int[]> extend(long[] state, int[] candidates, int k, int distance) {
    if (state.length >= k || candidates.length == 0) {
      return new Tuple2<>(state, NO_ANCHORS);
    }
    int[] added = new int[Math.min(k - state.length, candidates.length)];
    int count = 0;
    for (int i = 0; i < candidates.length && count < added.length; i++) {
      if (!holds(state, candidates[i])) {
        added[count++] = candidates[i];
      }
    }
    added = Arrays.copyOf(added, count);
    long[] extended = Arrays.copyOf(state, state.length + count);
    for (int i = 0; i < count; i++) {
      // Candidates ascend and distance exceeds every existing entry's, so order is kept.
      extended[state.length + i] = ((long) distance << 32) | added[i];
    }
    return new Tuple2<>(extended, added);
  }

  private static boolean holds(long[] state, int anchor) {
    for (long entry : state) {
      if ((int) entry == anchor) {
        return true;
      }
    }
    return false;
  }

  /** The smallest {@code max} distinct values of two ascending distinct arrays, ascending. */
  static int[] mergeSortedDistinct(int[] a, int[] b, int max) {
    int[] out = new int[Math.min(max, a.length + b.length)];
    int i = 0;
    int j = 0;
    int n = 0;
    while (n < out.length && (i < a.length || j < b.length)) {
      int value;
      if (j >= b.length || (i < a.length && a[i] < b[j])) {
        value = a[i++];
      } else if (i >= a.length || b[j] < a[i]) {
        value = b[j++];
      } else {
        value = a[i++];
        j++;
      }
      out[n++] = value;
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  private static Dataset<Row> padMissing(Dataset<Row> entityIds, Dataset<Row> found, int k) {
    Dataset<Row> ids = entityIds.withColumnRenamed("id", "entity");
    return ids.join(found, ids.col("entity").equalTo(found.col("id")), "left")
        .select(
            ids.col("entity").as("id"),
            coalesce(found.col("anchors"), array_repeat(lit(PADDING), k)).as("anchors"),
            coalesce(found.col("distances"), array_repeat(lit(PADDING), k)).as("distances"));
  }

  /**
   * Sampling priority of relation token {@code token} for {@code entity}: smaller is chosen first.
   */
  public static long relationPriority(long seed, int entity, int token) {
    return ((Hashing.hash(seed, entity, token) >>> 33) << 32) | token;
  }

  /**
   * Relation context {@code (id INT, relations ARRAY<INT>[m])} of entities 0..numEntities-1 (or the
   * entities in the triples when numEntities is 0), sampled as described on the class.
   */
  public static Dataset<Row> relationContext(
      Dataset<Row> triples, long numEntities, int numRelations, int m, long seed) {
    Graphs.requireTriples(triples);
    if (numRelations < 1) {
      throw new IllegalArgumentException("numRelations must be >= 1, got " + numRelations);
    }
    SparkSession spark = triples.sparkSession();
    VertexPartitioner partitioner = new VertexPartitioner(Graphs.partitions(spark));
    JavaPairRDD<Integer, long[]> sampled =
        triples
            .select("head", "relation", "tail")
            .javaRDD()
            .flatMapToPair(
                row -> {
                  int head = row.getInt(0);
                  int relation = row.getInt(1);
                  int tail = row.getInt(2);
                  if (relation < 0 || relation >= numRelations) {
                    throw new IllegalArgumentException(
                        "triple ("
                            + head
                            + ", "
                            + relation
                            + ", "
                            + tail
                            + "): relation id outside 0.."
                            + (numRelations - 1));
                  }
                  int inverse = relation + numRelations;
                  return List.of(
                          new Tuple2<>(head, new long[] {relationPriority(seed, head, relation)}),
                          new Tuple2<>(tail, new long[] {relationPriority(seed, tail, inverse)}))
                      .iterator();
                })
            .reduceByKey(partitioner, (a, b) -> smallestDistinct(a, b, m));
    Dataset<Row> rows =
        spark.createDataFrame(
            sampled.map(
                entity -> {
                  long[] chosen = entity._2();
                  int[] tokens = new int[m];
                  Arrays.fill(tokens, PADDING);
                  int[] picked = new int[chosen.length];
                  for (int i = 0; i < chosen.length; i++) {
                    picked[i] = (int) chosen[i];
                  }
                  Arrays.sort(picked);
                  System.arraycopy(picked, 0, tokens, 0, picked.length);
                  return RowFactory.create(entity._1(), tokens);
                }),
            RELATION_SCHEMA);
    Dataset<Row> ids =
        Graphs.entityIds(spark, triples, numEntities).withColumnRenamed("id", "entity");
    return ids.join(rows, ids.col("entity").equalTo(rows.col("id")), "left")
        .select(
            ids.col("entity").as("id"),
            coalesce(rows.col("relations"), array_repeat(lit(PADDING), m)).as("relations"));
  }

  /**
   * Smallest {@code max} distinct values of two ascending arrays (equal values are the same token).
   */
  static long[] smallestDistinct(long[] a, long[] b, int max) {
    long[] out = new long[Math.min(max, a.length + b.length)];
    int i = 0;
    int j = 0;
    int n = 0;
    while (n < out.length && (i < a.length || j < b.length)) {
      long value;
      if (j >= b.length || (i < a.length && a[i] < b[j])) {
        value = a[i++];
      } else if (i >= a.length || b[j] < a[i]) {
        value = b[j++];
      } else {
        value = a[i++];
        j++;
      }
      out[n++] = value;
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /**
   * Vocabulary {@code (token_id INT, kind STRING, local_id INT, source_id INT)}: anchors first
   * (token_id = local_id = anchor index, source_id = entity id), then relations (token_id = A + r,
   * local_id = r, source_id = r), inverse relations (token_id = A + R + r, local_id = R + r,
   * source_id = r), and one padding row (token_id = A + 2R, local_id = -1, source_id = -1). {@code
   * tokens.anchors} hold anchor local ids, {@code tokens.relations} relation local ids.
   */
  public static Dataset<Row> vocab(
      SparkSession spark, Anchors.Selection anchors, int numRelations) {
    int[] ids = anchors.entityIds();
    List<Row> rows = new ArrayList<>(ids.length + 2 * numRelations + 1);
    for (int i = 0; i < ids.length; i++) {
      rows.add(RowFactory.create(i, "anchor", i, ids[i]));
    }
    for (int r = 0; r < numRelations; r++) {
      rows.add(RowFactory.create(ids.length + r, "relation", r, r));
    }
    for (int r = 0; r < numRelations; r++) {
      rows.add(
          RowFactory.create(
              ids.length + numRelations + r, "inverse_relation", numRelations + r, r));
    }
    rows.add(RowFactory.create(ids.length + 2 * numRelations, "padding", PADDING, PADDING));
    return spark.createDataFrame(rows, VOCAB_SCHEMA);
  }

  /**
   * Inductive tokenization of entities absent from {@code knownTokens} (ids in {@code newTriples}
   * with no row there), without touching the known tokens. Anchors: the best k (same tie rule) of
   * the known neighbours' (anchor, distance + 1) pairs, the smallest distance per anchor; edges
   * between two new entities carry no anchors. Relations: sampled as in {@link #relationContext}
   * from the new entity's edges in {@code newTriples}. Returns rows with the {@code tokens} schema.
   */
  public static Dataset<Row> tokenizeNew(
      Dataset<Row> newTriples, Dataset<Row> knownTokens, int numRelations, TokenizeConfig config) {
    Graphs.requireTriples(newTriples);
    Graphs.requireIntColumns(knownTokens, "known tokens", "id");
    SparkSession spark = newTriples.sparkSession();
    int k = config.k();
    VertexPartitioner partitioner = new VertexPartitioner(Graphs.partitions(spark));
    Dataset<Row> ends =
        newTriples
            .select(col("head").as("entity"), col("tail").as("neighbour"))
            .union(newTriples.select(col("tail").as("entity"), col("head").as("neighbour")))
            .filter(col("entity").notEqual(col("neighbour")));
    Dataset<Row> known = knownTokens.select(col("id").as("known_id"));
    Dataset<Row> newIds =
        ends.select(col("entity").as("id"))
            .distinct()
            .join(known, col("id").equalTo(known.col("known_id")), "left_anti");

    // (known neighbour, new entity) edges, joined with the neighbour's tokens on the executors.
    JavaPairRDD<Integer, Integer> toNew =
        ends.join(newIds, ends.col("entity").equalTo(newIds.col("id")), "left_semi")
            .select("neighbour", "entity")
            .javaRDD()
            .mapToPair(row -> new Tuple2<>(row.getInt(0), row.getInt(1)));
    JavaPairRDD<Integer, long[]> neighbourEntries =
        knownTokens
            .select("id", "anchors", "distances")
            .javaRDD()
            .mapToPair(
                row -> {
                  List<Integer> anchors = row.getList(1);
                  List<Integer> distances = row.getList(2);
                  long[] entries = new long[anchors.size()];
                  int n = 0;
                  for (int i = 0; i < anchors.size(); i++) {
                    if (anchors.get(i) != PADDING) {
                      entries[n++] = ((long) (distances.get(i) + 1) << 32) | anchors.get(i);
                    }
                  }
                  return new Tuple2<>(row.getInt(0), Arrays.copyOf(entries, n));
                });
    JavaPairRDD<Integer, long[]> best =
        toNew
            .join(neighbourEntries, partitioner)
            .mapToPair(edge -> new Tuple2<>(edge._2()._1(), edge._2()._2()))
            .reduceByKey(partitioner, (a, b) -> bestPerAnchor(a, b, k));
    Dataset<Row> found =
        spark.createDataFrame(
            best.map(
                entity -> {
                  long[] entries = entity._2();
                  int[] anchors = new int[k];
                  int[] distances = new int[k];
                  Arrays.fill(anchors, PADDING);
                  Arrays.fill(distances, PADDING);
                  for (int i = 0; i < entries.length; i++) {
                    anchors[i] = (int) entries[i];
                    distances[i] = (int) (entries[i] >>> 32);
                  }
                  return RowFactory.create(entity._1(), anchors, distances);
                }),
            DISTANCE_SCHEMA);
    Dataset<Row> withAnchors = padMissing(newIds, found, k);
    Dataset<Row> newEdges =
        newTriples.join(
            newIds,
            newTriples
                .col("head")
                .equalTo(newIds.col("id"))
                .or(newTriples.col("tail").equalTo(newIds.col("id"))),
            "left_semi");
    Dataset<Row> relations = relationContext(newEdges, 0, numRelations, config.m(), config.seed());
    return withAnchors.join(relations, "id").select("id", "anchors", "distances", "relations");
  }

  /**
   * Best k entries (distance << 32 | anchor, ascending) of two ascending lists, one per anchor (its
   * smallest distance). Truncating partial merges to k is exact for the final best k.
   */
  static long[] bestPerAnchor(long[] a, long[] b, int k) {
    long[] out = new long[Math.min(k, a.length + b.length)];
    int i = 0;
    int j = 0;
    int n = 0;
    while (n < out.length && (i < a.length || j < b.length)) {
      long value = (j >= b.length || (i < a.length && a[i] <= b[j])) ? a[i++] : b[j++];
      boolean seen = false;
      for (int x = 0; x < n; x++) {
        if ((int) out[x] == (int) value) {
          seen = true;
          break;
        }
      }
      if (!seen) {
        out[n++] = value;
      }
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }
}
