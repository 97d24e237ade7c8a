package org.sparkkge.core.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * Filtered link-prediction ranking. For each test triple (h, r, t) it ranks t among candidates for
 * (h, r, ?) and h for (?, r, t), ignoring every other candidate that forms a known true triple.
 * Scores are computed on the device with the model's one-vs-many scoring, a block of queries at a
 * time; the true answer's score is read from the same score matrix, so ties are exact ties.
 * Non-finite scores follow {@link QueryCounts}: a NaN/infinite candidate score fails the evaluation
 * with a {@link NonFiniteScoreException} naming the first such query; a NaN/infinite true-answer
 * score ranks last and is counted in the result.
 */
public final class LinkPredictionEvaluator {
  /** Floats a broadcast-scoring block may materialise (distance models). */
  private static final long BROADCAST_BUDGET = 1L << 24;

  /**
   * Fewest queries scored in one call. With fewer rows libtorch's CPU matrix product takes another
   * kernel in which copies of one candidate row in different columns can round differently
   * (measured for 1-11 rows, DistMult and ComplEx), so exact ties would not stay exact. Distance
   * models score by broadcasting (elementwise), not by a matrix product, and are not padded.
   */
  public static final int MIN_SCORED_QUERIES = 16;

  private LinkPredictionEvaluator() {}

  /** values[from .. from + n - 1], then copies of the last of them up to {@code rows} values. */
  private static int[] padded(int[] values, int from, int n, int rows) {
    int[] out = Arrays.copyOfRange(values, from, from + rows);
    Arrays.fill(out, n, rows, values[from + n - 1]);
    return out;
  }

  /**
   * @param params trained parameters with an entity table (NodePiece: materialise it first)
   * @param test triples to rank
   * @param known every true triple to filter (train + valid + test)
   * @param sampledCandidates 0 = rank against all entities; N > 0 = against N random entities
   *     (labelled "sampled")
   * @param batchSize queries per block
   * @param seed seed of candidate sampling
   * @throws NonFiniteScoreException when a compared candidate of some query scores NaN or infinite
   */
  public static EvaluationResult evaluate(
      ModelParameters params,
      TripleArrays test,
      TripleArrays known,
      int sampledCandidates,
      int batchSize,
      long seed,
      Device device) {
    if (params.entities().length == 0) {
      throw new IllegalArgumentException(
          "parameters have no entity table (encoded model): materialise it first");
    }
    if (sampledCandidates < 0 || batchSize <= 0) {
      throw new IllegalArgumentException(
          "sampledCandidates must be >= 0 and batchSize > 0, got "
              + sampledCandidates
              + ", "
              + batchSize);
    }
    test.checkIds(params.numEntities(), params.numRelations());
    known.checkIds(params.numEntities(), params.numRelations());
    ScoringModel model = ScoringModels.byName(params.model());
    int numEntities = params.numEntities();
    int r = params.numRelations();
    Map<Long, int[]> tailsOf = index(known.heads(), known.relations(), known.tails(), r);
    Map<Long, int[]> headsOf = index(known.tails(), known.relations(), known.heads(), r);
    boolean sampled = sampledCandidates > 0 && sampledCandidates < numEntities;
    int candidateCount = sampled ? sampledCandidates : numEntities;
    int block = batchSize;
    if (model.broadcastScoring()) {
      block =
          (int)
              Math.max(
                  1,
                  Math.min(batchSize, BROADCAST_BUDGET / ((long) candidateCount * params.dim())));
    }
    Random random = new Random(seed);
    Accumulator acc = new Accumulator();
    int d = params.dim();
    int rd = params.relationDim();
    try (NDManager manager = NDManager.newBaseManager(device)) {
      // grad mode is per thread in libtorch and on by default in threads DJL did not set up
      JniUtils.setGradMode(false);
      NDArray entities = manager.create(params.entities(), new Shape(numEntities, d));
      NDArray relations = manager.create(params.relations(), new Shape(r, rd));
      NDArray allCandidates = entities.expandDims(0);
      for (int from = 0; from < test.size(); from += block) {
        int b = Math.min(block, test.size() - from);
        // the scope also closes intermediates that ops on the shared candidate table leave in the
        // base manager
        try (NDManager step = manager.newSubManager();
            NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          // a short last block of a matrix-product model is padded with copies of its last query,
          // ranked once (MIN_SCORED_QUERIES); broadcast scoring is elementwise, its block bounded
          // by memory
          int rows = model.broadcastScoring() ? b : Math.max(b, MIN_SCORED_QUERIES);
          int[] hs = padded(test.heads(), from, b, rows);
          int[] rs = padded(test.relations(), from, b, rows);
          int[] ts = padded(test.tails(), from, b, rows);
          NDArray h = take(step, entities, hs).reshape(1, rows, d);
          NDArray rel = take(step, relations, rs).reshape(1, rows, rd);
          NDArray t = take(step, entities, ts).reshape(1, rows, d);
          int[] sample = sampled ? sample(random, numEntities, sampledCandidates) : null;
          for (boolean tailDirection : new boolean[] {true, false}) {
            int[] answers = tailDirection ? ts : hs;
            NDArray candidates;
            int[] columnOf = null;
            if (sampled) {
              // columns: the sampled entities, then this block's true answers
              int[] ids = Arrays.copyOf(sample, sampledCandidates + rows);
              System.arraycopy(answers, 0, ids, sampledCandidates, rows);
              candidates = take(step, entities, ids).reshape(1, ids.length, d);
              columnOf = ids;
            } else {
              candidates = allCandidates;
            }
            NDArray scores =
                tailDirection
                    ? model.scoreTails(h, rel, candidates)
                    : model.scoreHeads(rel, t, candidates);
            scores.attach(step);
            float[] s = scores.toFloatArray();
            int width = (int) scores.getShape().get(2);
            for (int i = 0; i < b; i++) {
              long key = tailDirection ? (long) hs[i] * r + rs[i] : (long) ts[i] * r + rs[i];
              int[] filtered = (tailDirection ? tailsOf : headsOf).get(key);
              int offset = i * width;
              QueryCounts counts =
                  sampled
                      ? QueryCounts.countSampled(
                          s,
                          offset,
                          sampledCandidates,
                          columnOf,
                          s[offset + sampledCandidates + i],
                          answers[i],
                          filtered)
                      : QueryCounts.count(
                          s, offset, numEntities, s[offset + answers[i]], 0, answers[i], filtered);
              acc.add(from + i, hs[i], rs[i], ts[i], tailDirection, counts);
            }
          }
        }
      }
    }
    return acc.result(sampled, candidateCount, 2L * test.size());
  }

  /**
   * Optimistic and pessimistic rank of column {@code answer} among all columns, filtered (finite
   * scores).
   */
  static double[] rankAll(float[] s, int offset, int answer, int width, int[] filtered) {
    QueryCounts c = QueryCounts.count(s, offset, width, s[offset + answer], 0, answer, filtered);
    return new double[] {c.optimisticRank(), c.pessimisticRank()};
  }

  private static int[] sample(Random random, int numEntities, int n) {
    // distinct ids: partial Fisher-Yates over a lazily materialised identity permutation
    Map<Integer, Integer> swapped = new HashMap<>();
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int j = i + random.nextInt(numEntities - i);
      int vj = swapped.getOrDefault(j, j);
      int vi = swapped.getOrDefault(i, i);
      swapped.put(j, vi);
      out[i] = vj;
    }
    return out;
  }

  private static NDArray take(NDManager manager, NDArray table, int[] ids) {
    long[] idx = new long[ids.length];
    for (int i = 0; i < ids.length; i++) idx[i] = ids[i];
    NDArray rows = table.get(new NDIndex("{}", manager.create(idx)));
    rows.attach(manager);
    return rows;
  }

  /** (key entity, relation) -> sorted distinct partner entities. */
  private static Map<Long, int[]> index(
      int[] keys, int[] relations, int[] values, int numRelations) {
    Map<Long, int[]> lists = new HashMap<>();
    Map<Long, Integer> sizes = new HashMap<>();
    for (int i = 0; i < keys.length; i++) {
      long key = (long) keys[i] * numRelations + relations[i];
      int[] list = lists.get(key);
      int size = sizes.getOrDefault(key, 0);
      if (list == null) {
        list = new int[2];
      } else if (size == list.length) {
        list = Arrays.copyOf(list, size * 2);
      }
      list[size] = values[i];
      lists.put(key, list);
      sizes.put(key, size + 1);
    }
    Map<Long, int[]> out = new HashMap<>(lists.size() * 2);
    for (Map.Entry<Long, int[]> e : lists.entrySet()) {
      out.put(
          e.getKey(),
          Arrays.stream(e.getValue(), 0, sizes.get(e.getKey())).sorted().distinct().toArray());
    }
    return out;
  }

  private static final class Accumulator {
    RankMetrics realistic = RankMetrics.EMPTY;
    RankMetrics optimistic = RankMetrics.EMPTY;
    RankMetrics pessimistic = RankMetrics.EMPTY;
    RankMetrics tails = RankMetrics.EMPTY;
    RankMetrics heads = RankMetrics.EMPTY;
    final Map<Integer, RankMetrics> perRelation = new TreeMap<>();
    long nonFiniteTrueScores;
    long invalid;
    long firstInvalid = Long.MAX_VALUE;
    NonFiniteScoreException.Query firstQuery;

    /** One query of test triple {@code index}: ranked, or remembered as invalid (QueryCounts). */
    void add(int index, int head, int relation, int tail, boolean tailDirection, QueryCounts c) {
      if (c.invalid()) {
        invalid++;
        // the first invalid query in test order, tail query before head query
        long order = 2L * index + (tailDirection ? 0 : 1);
        if (order < firstInvalid) {
          firstInvalid = order;
          firstQuery =
              new NonFiniteScoreException.Query(
                  tailDirection, head, relation, tail, c.firstNonFinite(), c.firstNonFiniteScore());
        }
        return;
      }
      if (c.answerNonFinite()) nonFiniteTrueScores++;
      double optimisticRank = c.optimisticRank();
      double pessimisticRank = c.pessimisticRank();
      double real = (optimisticRank + pessimisticRank) / 2;
      realistic = realistic.add(real);
      optimistic = optimistic.add(optimisticRank);
      pessimistic = pessimistic.add(pessimisticRank);
      if (tailDirection) tails = tails.add(real);
      else heads = heads.add(real);
      perRelation.merge(relation, RankMetrics.EMPTY.add(real), RankMetrics::plus);
    }

    EvaluationResult result(boolean sampled, int candidates, long queries) {
      if (invalid > 0) {
        throw new NonFiniteScoreException(invalid, queries, firstQuery);
      }
      return new EvaluationResult(
          sampled,
          candidates,
          realistic,
          optimistic,
          pessimistic,
          tails,
          heads,
          perRelation,
          nonFiniteTrueScores);
    }
  }
}
