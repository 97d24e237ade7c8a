package org.sparkkge.core.train;

import static org.sparkkge.core.tensor.NativeScalars.of;

import ai.djl.ndarray.NDArray;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.loss.Loss;
import org.sparkkge.core.loss.LossFunctions;

/**
 * The training loss: the configured {@link LossFunctions} loss over positive scores (K, c) and
 * negative scores (K, c, M), or the one-vs-all cross-entropy, as a weighted mean over positives
 * (weight 0 marks padding).
 */
public final class Losses {
  private Losses() {}

  /**
   * Weighted mean over positives of the per-positive loss that {@code config} selects, with its
   * parameters.
   */
  public static NDArray loss(TrainConfig config, NDArray pos, NDArray neg, NDArray weights) {
    Loss.Parameters parameters =
        new Loss.Parameters(
            config.margin(), config.softmaxMargin(), config.adversarialTemperature());
    NDArray perPositive = LossFunctions.byName(config.loss()).perPositive(pos, neg, parameters);
    return perPositive.mul(weights).sum().div(atLeastOne(weights.sum()));
  }

  /**
   * One-vs-all cross-entropy, weighted mean over positives: {@code scores} (K, c, N) hold every
   * candidate, the positive's own column included, so the loss is logsumexp(scores) - pos.
   */
  public static NDArray oneVsAll(NDArray pos, NDArray scores, NDArray weights) {
    NDArray max = scores.max(new int[] {-1}, true).stopGradient();
    NDArray logSumExp = scores.sub(max).exp().sum(new int[] {-1}).log().add(max.squeeze(-1));
    return logSumExp.sub(pos).mul(weights).sum().div(atLeastOne(weights.sum()));
  }

  /** max(total, 1): the divisor of a weighted mean (all-zero weights give 0, not NaN). */
  static NDArray atLeastOne(NDArray total) {
    return total.maximum(of(total, 1f));
  }
}
