package org.sparkkge.core.loss;

import ai.djl.ndarray.NDArray;

/**
 * A loss over sampled negatives, by name in {@link LossFunctions}: from positive scores (K, c) and
 * negative scores (K, c, M) the loss of each positive (K, c). Masked negatives carry a very low
 * score and must contribute nothing.
 */
@FunctionalInterface
public interface Loss {
  NDArray perPositive(NDArray pos, NDArray neg, Parameters p);

  /** The train.* settings a loss may read: margin, softmax-margin, adversarial-temperature. */
  record Parameters(float margin, float softmaxMargin, float adversarialTemperature) {}
}
