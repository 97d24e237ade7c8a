package org.sparkkge.jobs.evaluate;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * Filtered ranking of queries against one block of candidate entities (ids {@code from .. from +
 * width - 1}), on the executor. Both directions of every test triple: (h, r, ?) with answer t and
 * (?, r, t) with answer h. Scores come from the model's one-vs-many scoring
 * ({@link ScoringModel#scoreTails}/{@link ScoringModel#scoreHeads}, as embedding-core's
 * LinkPredictionEvaluator); the rows of a batch's answers are appended to the block as extra candidate
 * columns (as the evaluator's sampled mode does), so each answer's own score comes out of the same score
 * matrix as the candidates it is compared with and exact ties stay exact in every block. Per query it
 * returns the candidates of the block scoring strictly higher and equal, leaving out the answer itself
 * and the filtered known triples; summed over all blocks they give the evaluator's optimistic rank
 * (higher + 1) and pessimistic rank (higher + equal + 1).
 */
final class BlockRanker {
  /** Floats a distance model's broadcast scoring may materialise per batch (as the evaluator). */
  private static final long BROADCAST_BUDGET = 1L << 24;
  /** Floats of one batch's score matrix: wide blocks get fewer queries per batch. */
  private static final long SCORE_BUDGET = 1L << 26;

  /** One test triple with the embedding rows of its head and tail. */
  record Query(long id, int group, int head, int relation, int tail, float[] headRow, float[] tailRow)
      implements Serializable {}

  /** Partial counts of one test triple's two queries over one or more blocks. */
  record Counts(long id, int relation, long tailGreater, long tailEqual, long headGreater, long headEqual)
      implements Serializable {
    Counts plus(Counts o) {
      return new Counts(id, relation, tailGreater + o.tailGreater, tailEqual + o.tailEqual,
          headGreater + o.headGreater, headEqual + o.headEqual);
    }
  }

  private BlockRanker() {}

  /**
   * @param block candidate rows, row-major, at least {@code width x dim} floats (row j = entity from + j)
   * @param tailFilters {@link #filterKey}(head, relation) -> sorted distinct known tails
   * @param headFilters {@link #filterKey}(tail, relation) -> sorted distinct known heads
   */
  static List<Counts> rank(String modelName, int dim, int relationDim, int numRelations, float[] relations,
      int from, int width, float[] block, List<Query> queries, Map<Long, int[]> tailFilters,
      Map<Long, int[]> headFilters, int batchSize) {
    ScoringModel model = ScoringModels.byName(modelName);
    int batch = (int) Math.max(1, Math.min(batchSize, SCORE_BUDGET / ((long) width + batchSize)));
    if (model.broadcastScoring()) {
      batch = (int) Math.max(1, Math.min(batch, BROADCAST_BUDGET / (((long) width + batch) * dim)));
    }
    List<Counts> out = new ArrayList<>(queries.size());
    ai.djl.engine.Engine.getInstance();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      // grad mode is per thread in libtorch and on by default in threads DJL did not set up
      ai.djl.pytorch.jni.JniUtils.setGradMode(false);
      NDArray candidates = manager.create(block, new Shape(width, dim));
      NDArray relationTable = manager.create(relations, new Shape(numRelations, relationDim));
      for (int start = 0; start < queries.size(); start += batch) {
        int b = Math.min(batch, queries.size() - start);
        List<Query> part = queries.subList(start, start + b);
        // the scope also closes intermediates that ops on the shared block leave in the base manager
        try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          float[] headRows = new float[b * dim];
          float[] tailRows = new float[b * dim];
          long[] relationIds = new long[b];
          for (int i = 0; i < b; i++) {
            Query q = part.get(i);
            System.arraycopy(q.headRow(), 0, headRows, i * dim, dim);
            System.arraycopy(q.tailRow(), 0, tailRows, i * dim, dim);
            relationIds[i] = q.relation();
          }
          NDArray h = step.create(headRows, new Shape(b, dim));
          NDArray t = step.create(tailRows, new Shape(b, dim));
          NDArray rel = relationTable.get(new NDIndex("{}", step.create(relationIds)));
          rel.attach(step);
          NDArray relRows = rel.reshape(1, b, relationDim);
          long[][] counts = new long[b][4];
          for (boolean tailDirection : new boolean[] {true, false}) {
            NDArray answers = tailDirection ? t : h;
            NDArray columns = NDArrays.concat(new NDList(candidates, answers), 0).expandDims(0);
            NDArray scores = tailDirection ? model.scoreTails(h.reshape(1, b, dim), relRows, columns)
                : model.scoreHeads(relRows, t.reshape(1, b, dim), columns);
            scores.attach(step);
            float[] s = scores.toFloatArray();
            int stride = width + b;
            for (int i = 0; i < b; i++) {
              Query q = part.get(i);
              int answer = tailDirection ? q.tail() : q.head();
              long key = filterKey(tailDirection ? q.head() : q.tail(), q.relation());
              int[] filtered = (tailDirection ? tailFilters : headFilters).get(key);
              long[] ge = count(s, i * stride, width, s[i * stride + width + i], from, answer, filtered);
              counts[i][tailDirection ? 0 : 2] = ge[0];
              counts[i][tailDirection ? 1 : 3] = ge[1];
            }
          }
          for (int i = 0; i < b; i++) {
            Query q = part.get(i);
            out.add(new Counts(q.id(), q.relation(), counts[i][0], counts[i][1], counts[i][2], counts[i][3]));
          }
        }
      }
    }
    return out;
  }

  static long filterKey(int entity, int relation) {
    return ((long) entity << 32) | (relation & 0xFFFFFFFFL);
  }

  /**
   * Candidates of the block scoring higher than and equal to {@code target}, without the answer and the
   * filtered ids (which must be distinct).
   */
  static long[] count(float[] s, int offset, int width, float target, int from, int answer, int[] filtered) {
    long greater = 0;
    long equal = 0;
    for (int j = 0; j < width; j++) {
      float v = s[offset + j];
      if (v > target) greater++;
      else if (v == target) equal++;
    }
    if (answer >= from && answer < from + width) {
      float v = s[offset + answer - from];
      if (v > target) greater--;
      else if (v == target) equal--;
    }
    if (filtered != null) {
      for (int x : filtered) {
        if (x == answer || x < from || x >= from + width) continue;
        float v = s[offset + x - from];
        if (v > target) greater--;
        else if (v == target) equal--;
      }
    }
    return new long[] {greater, equal};
  }
}
