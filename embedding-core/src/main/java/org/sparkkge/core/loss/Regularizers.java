package org.sparkkge.core.loss;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * The regularizers of train.regularizer by name: each maps a row block to its element-wise penalty,
 * summed over the rows of the positive triples (head, relation, tail). "none" adds nothing. Adding
 * one = one line below.
 */
public final class Regularizers {
  public static final String NONE = "none";
  private static final Map<String, UnaryOperator<NDArray>> PENALTIES = new TreeMap<>();

  static {
    PENALTIES.put("n3", x -> x.abs().mul(x.square())); // Lacroix et al. 2018: |x|^3
    PENALTIES.put("l2", NDArray::square);
  }

  private Regularizers() {}

  /** Every name train.regularizer accepts, "none" included. */
  public static Set<String> names() {
    Set<String> names = new TreeSet<>(PENALTIES.keySet());
    names.add(NONE);
    return names;
  }

  /** The element-wise penalty of {@code name} (not "none"). */
  public static UnaryOperator<NDArray> penalty(String name) {
    UnaryOperator<NDArray> penalty = name == null ? null : PENALTIES.get(name);
    if (penalty == null) {
      throw new IllegalArgumentException(
          "unknown regularizer '" + name + "', expected one of " + names());
    }
    return penalty;
  }
}
