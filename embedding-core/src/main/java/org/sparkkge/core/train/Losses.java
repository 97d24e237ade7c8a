package org.sparkkge.core.train;

import static org.sparkkge.core.NativeScalars.of;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import org.sparkkge.core.TrainConfig;

/**
 * Loss functions over positive scores (K, c) and negative scores (K, c, M), weighted per positive
 * (weight 0 marks padding). Masked negatives carry a very low score and contribute nothing.
 */
public final class Losses {
    private Losses() {}

    /** Weighted mean over positives of the per-positive loss that {@code config} selects, with its parameters. */
    public static NDArray loss(TrainConfig config, NDArray pos, NDArray neg, NDArray weights) {
        float margin = config.margin();
        NDArray perPositive = switch (config.loss()) {
            // raising every negative by the margin = lowering the positive by it: (K, c) floats, not (K, c, M)
            case "softmax" -> softmax(config.softmaxMargin() == 0 ? pos : pos.sub(of(pos, config.softmaxMargin())), neg);
            case "margin" -> marginRanking(pos, neg, margin);
            case "logistic" -> logistic(pos, neg, margin);
            case "adversarial" -> selfAdversarial(pos, neg, margin, config.adversarialTemperature());
            default -> throw new IllegalArgumentException("unknown loss '" + config.loss() + "'");
        };
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

    /** Cross-entropy of the positive against itself plus its negatives. */
    static NDArray softmax(NDArray pos, NDArray neg) {
        NDArray all = NDArrays.concat(new NDList(pos.expandDims(-1), neg), -1);
        return all.logSoftmax(-1).get("..., 0").neg();
    }

    /** Mean over negatives of max(0, margin - pos + neg). */
    static NDArray marginRanking(NDArray pos, NDArray neg, float margin) {
        NDArray violation = neg.sub(pos.expandDims(-1)).add(of(neg, margin));
        return violation.maximum(of(violation, 0f)).mean(new int[] {-1});
    }

    /** -log sigma(gamma + pos) - mean log sigma(-(gamma + neg)). */
    static NDArray logistic(NDArray pos, NDArray neg, float gamma) {
        return softplus(pos.add(of(pos, gamma)).neg()).add(softplus(neg.add(of(neg, gamma))).mean(new int[] {-1}));
    }

    /** RotatE's self-adversarial loss: negatives weighted by softmax(alpha * score), weights not trained. */
    static NDArray selfAdversarial(NDArray pos, NDArray neg, float gamma, float temperature) {
        NDArray shifted = neg.add(of(neg, gamma));
        NDArray weights = shifted.mul(of(shifted, temperature)).softmax(-1).stopGradient();
        return softplus(pos.add(of(pos, gamma)).neg()).add(weights.mul(softplus(shifted)).sum(new int[] {-1}));
    }

    /** max(total, 1): the divisor of a weighted mean (all-zero weights give 0, not NaN). */
    static NDArray atLeastOne(NDArray total) {
        return total.maximum(of(total, 1f));
    }

    /** Numerically stable log(1 + exp(x)). */
    static NDArray softplus(NDArray x) {
        return x.maximum(of(x, 0f)).add(x.abs().neg().exp().add(of(x, 1f)).log());
    }
}
