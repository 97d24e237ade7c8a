package org.sparkkge.jobs.evaluate;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.RankMetrics;

/**
 * A serialisable copy of embedding-core's {@link EvaluationResult} (which is not Serializable), so
 * partial results of query groups can travel from the executors and merge on the driver.
 * Each metric block is {queries, sumReciprocalRank, sumRank, hits1, hits3, hits10}.
 */
public record RankSums(double[] realistic, double[] optimistic, double[] pessimistic, double[] tails,
    double[] heads, Map<Integer, double[]> perRelation) implements Serializable {

  public static RankSums of(EvaluationResult r) {
    Map<Integer, double[]> rel = new TreeMap<>();
    r.perRelation().forEach((k, v) -> rel.put(k, sums(v)));
    return new RankSums(sums(r.realistic()), sums(r.optimistic()), sums(r.pessimistic()), sums(r.tailQueries()),
        sums(r.headQueries()), rel);
  }

  public EvaluationResult toResult() {
    Map<Integer, RankMetrics> rel = new TreeMap<>();
    perRelation.forEach((k, v) -> rel.put(k, metrics(v)));
    return new EvaluationResult(false, 0, metrics(realistic), metrics(optimistic), metrics(pessimistic),
        metrics(tails), metrics(heads), rel);
  }

  static double[] sums(RankMetrics m) {
    return new double[] {m.queries(), m.sumReciprocalRank(), m.sumRank(), m.hits1(), m.hits3(), m.hits10()};
  }

  static RankMetrics metrics(double[] s) {
    return new RankMetrics((long) s[0], s[1], s[2], (long) s[3], (long) s[4], (long) s[5]);
  }
}
