package org.sparkkge.core.model;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Registry of scoring models by configuration name. Adding a model = one class + one line here.
 * Every model also exists as {@code NAME_reciprocal} ({@link Reciprocal}: separate relation rows
 * for head queries).
 */
public final class ScoringModels {
  private static final Map<String, Supplier<ScoringModel>> MODELS = new TreeMap<>();
  private static final Set<String> COMPLEX_ROWS = Set.of("complex", "rotate");

  static {
    MODELS.put("transe_l1", () -> new TransE(1));
    MODELS.put("transe_l2", () -> new TransE(2));
    MODELS.put("distmult", DistMult::new);
    MODELS.put("complex", ComplEx::new);
    MODELS.put("rotate", RotatE::new);
    for (Map.Entry<String, Supplier<ScoringModel>> e : Map.copyOf(MODELS).entrySet()) {
      Supplier<ScoringModel> base = e.getValue();
      MODELS.put(e.getKey() + Reciprocal.SUFFIX, () -> new Reciprocal(base.get()));
    }
  }

  private ScoringModels() {}

  public static Set<String> names() {
    return MODELS.keySet();
  }

  public static ScoringModel byName(String name) {
    Supplier<ScoringModel> s = name == null ? null : MODELS.get(name.toLowerCase(Locale.ROOT));
    if (s == null) {
      throw new IllegalArgumentException(
          "unknown scoring model '" + name + "', expected one of " + names());
    }
    return s.get();
  }

  /** The model name without the reciprocal suffix. */
  public static String baseName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(Reciprocal.SUFFIX)
        ? n.substring(0, n.length() - Reciprocal.SUFFIX.length())
        : n;
  }

  /** True for the {@link Reciprocal} variant of a model (relation rows [forward | inverse]). */
  public static boolean isReciprocal(String name) {
    return name.toLowerCase(Locale.ROOT).endsWith(Reciprocal.SUFFIX);
  }

  /**
   * True when entity rows are complex numbers (real half, then imaginary half): dim must be even.
   */
  public static boolean isComplex(String name) {
    return COMPLEX_ROWS.contains(baseName(name));
  }
}
