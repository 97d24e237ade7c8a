package org.sparkkge.jobs.ranking;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.core.eval.QueryCounts;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * Filtered ranking of queries against one block of candidate entities (ids {@code from .. from +
 * width - 1}), on the executor. Both directions of every test triple: (h, r, ?) with answer t and
 * (?, r, t) with answer h. Scores come from the model's one-vs-many scoring ({@link
 * ScoringModel#scoreTails}/{@link ScoringModel#scoreHeads}, as embedding-core's
 * LinkPredictionEvaluator); the rows of a batch's answers are appended to the block as extra
 * candidate columns (as the evaluator's sampled mode does), so each answer's own score comes out of
 * the same score matrix as the candidates it is compared with and exact ties stay exact in every
 * block. Per query it returns embedding-core's {@link QueryCounts} over the block (higher, equal,
 * compared, non-finite), leaving out the answer itself and the filtered known triples; summed over
 * all blocks they give the evaluator's ranks and its handling of NaN/infinite scores.
 *
 * <p>One ranker holds one block on its device (the task's: {@code Devices.forCurrentTask}) and
 * ranks any number of query lists against it; only each batch's score matrix comes back to the
 * heap, where the counts are taken.
 */
final class BlockRanker implements AutoCloseable {
  /** Floats a distance model's broadcast scoring may materialise per batch (as the evaluator). */
  private static final long BROADCAST_BUDGET = 1L << 24;

  /** Floats of one batch's score matrix: wide blocks get fewer queries per batch. */
  private static final long SCORE_BUDGET = 1L << 26;

  /** One test triple with the embedding rows of its head and tail. */
  record Query(
      long id, int head, int relation, int tail, int region, float[] headRow, float[] tailRow)
      implements Serializable {}

  /** Counts of one test triple's two queries over one or more blocks. */
  record Counts(
      long id,
      int head,
      int relation,
      int tail,
      int region,
      QueryCounts tailQuery,
      QueryCounts headQuery)
      implements Serializable {
    Counts plus(Counts o) {
      return new Counts(
          id,
          head,
          relation,
          tail,
          region,
          tailQuery.plus(o.tailQuery),
          headQuery.plus(o.headQuery));
    }
  }

  private final ScoringModel model;
  private final int dim;
  private final int relationDim;
  private final int from;
  private final int width;
  private final int batch;
  private final NDManager manager;
  private final NDArray candidates;
  private final NDArray relationTable;

  /**
   * @param block candidate rows, row-major, at least {@code width x dim} floats (row j = entity
   *     from + j)
   * @param relations the relation table, row-major
   * @param device where the block, the relations and each batch's scores live
   */
  BlockRanker(
      Device device,
      String modelName,
      int dim,
      int relationDim,
      int numRelations,
      float[] relations,
      int from,
      int width,
      float[] block,
      int batchSize) {
    this.model = ScoringModels.byName(modelName);
    this.dim = dim;
    this.relationDim = relationDim;
    this.from = from;
    this.width = width;
    int b = (int) Math.max(1, Math.min(batchSize, SCORE_BUDGET / ((long) width + batchSize)));
    if (model.broadcastScoring()) {
      b = (int) Math.max(1, Math.min(b, BROADCAST_BUDGET / (((long) width + b) * dim)));
    }
    this.batch = b;
    Engine.getInstance();
    manager = NDManager.newBaseManager(device);
    // grad mode is per thread in libtorch and on by default in threads DJL did not set up
    JniUtils.setGradMode(false);
    candidates = manager.create(block, new Shape(width, dim));
    relationTable = manager.create(relations, new Shape(numRelations, relationDim));
  }

  /** Queries scored per batch (fixed by the block's width and the batch size). */
  int batch() {
    return batch;
  }

  /**
   * @param tailFilters {@link #filterKey}(head, relation) -> sorted distinct known tails (ids
   *     outside the block are ignored)
   * @param headFilters {@link #filterKey}(tail, relation) -> sorted distinct known heads
   */
  List<Counts> rank(
      List<Query> queries, Map<Long, int[]> tailFilters, Map<Long, int[]> headFilters) {
    List<Counts> out = new ArrayList<>(queries.size());
    for (int start = 0; start < queries.size(); start += batch) {
      int b = Math.min(batch, queries.size() - start);
      List<Query> part = queries.subList(start, start + b);
      // the scope also closes intermediates that ops on the shared block leave in the base manager
      try (NDManager step = manager.newSubManager();
          NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        // a short batch of a matrix-product model is padded with copies of its last query (the
        // evaluator's
        // MIN_SCORED_QUERIES: exact ties); broadcast scoring is elementwise and its batch bounded
        // by memory
        int rows =
            model.broadcastScoring() ? b : Math.max(b, LinkPredictionEvaluator.MIN_SCORED_QUERIES);
        float[] headRows = new float[rows * dim];
        float[] tailRows = new float[rows * dim];
        long[] relationIds = new long[rows];
        for (int i = 0; i < rows; i++) {
          Query q = part.get(Math.min(i, b - 1));
          System.arraycopy(q.headRow(), 0, headRows, i * dim, dim);
          System.arraycopy(q.tailRow(), 0, tailRows, i * dim, dim);
          relationIds[i] = q.relation();
        }
        NDArray h = step.create(headRows, new Shape(rows, dim));
        NDArray t = step.create(tailRows, new Shape(rows, dim));
        NDArray rel = relationTable.get(new NDIndex("{}", step.create(relationIds)));
        rel.attach(step);
        NDArray relRows = rel.reshape(1, rows, relationDim);
        QueryCounts[][] counts = new QueryCounts[2][b];
        for (boolean tailDirection : new boolean[] {true, false}) {
          NDArray answers = tailDirection ? t : h;
          NDArray columns = NDArrays.concat(new NDList(candidates, answers), 0).expandDims(0);
          NDArray scores =
              tailDirection
                  ? model.scoreTails(h.reshape(1, rows, dim), relRows, columns)
                  : model.scoreHeads(relRows, t.reshape(1, rows, dim), columns);
          scores.attach(step);
          float[] s = scores.toFloatArray();
          int stride = width + rows;
          for (int i = 0; i < b; i++) {
            Query q = part.get(i);
            int answer = tailDirection ? q.tail() : q.head();
            long key = filterKey(tailDirection ? q.head() : q.tail(), q.relation());
            int[] filtered = (tailDirection ? tailFilters : headFilters).get(key);
            counts[tailDirection ? 0 : 1][i] =
                QueryCounts.count(
                    s, i * stride, width, s[i * stride + width + i], from, answer, filtered);
          }
        }
        for (int i = 0; i < b; i++) {
          Query q = part.get(i);
          out.add(
              new Counts(
                  q.id(),
                  q.head(),
                  q.relation(),
                  q.tail(),
                  q.region(),
                  counts[0][i],
                  counts[1][i]));
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    manager.close();
  }

  static long filterKey(int entity, int relation) {
    return ((long) entity << 32) | (relation & 0xFFFFFFFFL);
  }
}
