package org.sparkkge.core.loss;

import static org.sparkkge.core.tensor.NativeScalars.of;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The losses of train.loss by name. Adding one = one {@link Loss} (a method here or a class) + one
 * line below.
 */
public final class LossFunctions {
  private static final Map<String, Loss> LOSSES = new TreeMap<>();

  static {
    // raising every negative by the margin = lowering the positive by it: (K, c) floats, not (K, c,
    // M)
    LOSSES.put(
        "softmax",
        (pos, neg, p) ->
            softmax(p.softmaxMargin() == 0 ? pos : pos.sub(of(pos, p.softmaxMargin())), neg));
    LOSSES.put("margin", (pos, neg, p) -> marginRanking(pos, neg, p.margin()));
    LOSSES.put("logistic", (pos, neg, p) -> logistic(pos, neg, p.margin()));
    LOSSES.put(
        "adversarial",
        (pos, neg, p) -> selfAdversarial(pos, neg, p.margin(), p.adversarialTemperature()));
  }

  private LossFunctions() {}

  public static Set<String> names() {
    return LOSSES.keySet();
  }

  public static Loss byName(String name) {
    Loss loss = name == null ? null : LOSSES.get(name);
    if (loss == null) {
      throw new IllegalArgumentException("unknown loss '" + name + "', expected one of " + names());
    }
    return loss;
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
    return softplus(pos.add(of(pos, gamma)).neg())
        .add(softplus(neg.add(of(neg, gamma))).mean(new int[] {-1}));
  }

  /**
   * RotatE's self-adversarial loss: negatives weighted by softmax(alpha * score), weights not
   * trained.
   */
  static NDArray selfAdversarial(NDArray pos, NDArray neg, float gamma, float temperature) {
    NDArray shifted = neg.add(of(neg, gamma));
    NDArray weights = shifted.mul(of(shifted, temperature)).softmax(-1).stopGradient();
    return softplus(pos.add(of(pos, gamma)).neg())
        .add(weights.mul(softplus(shifted)).sum(new int[] {-1}));
  }

  /** Numerically stable log(1 + exp(x)). */
  static NDArray softplus(NDArray x) {
    return x.maximum(of(x, 0f)).add(x.abs().neg().exp().add(of(x, 1f)).log());
  }
}
