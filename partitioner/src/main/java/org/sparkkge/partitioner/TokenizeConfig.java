package org.sparkkge.partitioner;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * NodePiece tokenization settings. Configuration keys (with defaults, the paper's FB15k-237
 * setting):
 *
 * <ul>
 *   <li>{@code tokenize.anchors} = 1000: number of anchor entities
 *   <li>{@code tokenize.k} = 20: nearest anchors kept per entity
 *   <li>{@code tokenize.m} = 15: relation tokens per entity
 *   <li>{@code tokenize.strategy} = mixture: degree | pagerank | random | mixture
 *   <li>{@code tokenize.ratios} = 0.4,0.4,0.2: degree,pagerank,random shares for mixture (sum 1)
 *   <li>{@code tokenize.max_hops} = 50: BFS depth limit; anchors farther away are not found
 *   <li>{@code tokenize.seed} = 42: seed for random anchors and relation-token sampling
 *   <li>{@code tokenize.pagerank.damping} = 0.85
 *   <li>{@code tokenize.pagerank.tolerance} = 1e-3: GraphX's PageRank runs until no vertex's rank
 *       (ranks average 1) changes by more than this; > 0
 * </ul>
 */
public record TokenizeConfig(
    int anchors,
    int k,
    int m,
    Anchors.Strategy strategy,
    double degreeRatio,
    double pagerankRatio,
    double randomRatio,
    int maxHops,
    long seed,
    double damping,
    double pagerankTolerance) {

  /** Default of {@code tokenize.pagerank.tolerance}. */
  public static final double DEFAULT_PAGERANK_TOLERANCE = 1e-3;

  public static final TokenizeConfig DEFAULTS =
      new TokenizeConfig(
          1000,
          20,
          15,
          Anchors.Strategy.MIXTURE,
          0.4,
          0.4,
          0.2,
          50,
          42L,
          0.85,
          DEFAULT_PAGERANK_TOLERANCE);

  private static final Set<String> KEYS =
      Set.of(
          "tokenize.anchors",
          "tokenize.k",
          "tokenize.m",
          "tokenize.strategy",
          "tokenize.ratios",
          "tokenize.max_hops",
          "tokenize.seed",
          "tokenize.pagerank.damping",
          "tokenize.pagerank.tolerance");

  public TokenizeConfig {
    require(anchors >= 1, "tokenize.anchors must be >= 1, got " + anchors);
    require(k >= 1, "tokenize.k must be >= 1, got " + k);
    require(m >= 0, "tokenize.m must be >= 0, got " + m);
    require(maxHops >= 0, "tokenize.max_hops must be >= 0, got " + maxHops);
    require(
        damping > 0 && damping < 1, "tokenize.pagerank.damping must be in (0,1), got " + damping);
    require(
        pagerankTolerance > 0 && Double.isFinite(pagerankTolerance),
        "tokenize.pagerank.tolerance must be a finite number > 0, got " + pagerankTolerance);
    require(strategy != null, "tokenize.strategy must be set");
    require(
        degreeRatio >= 0
            && pagerankRatio >= 0
            && randomRatio >= 0
            && Math.abs(degreeRatio + pagerankRatio + randomRatio - 1.0) < 1e-6,
        "tokenize.ratios must be three non-negative shares summing to 1, got "
            + degreeRatio
            + ","
            + pagerankRatio
            + ","
            + randomRatio);
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  public TokenizeConfig withAnchors(int count, int nearest, int relationTokens) {
    return new TokenizeConfig(
        count,
        nearest,
        relationTokens,
        strategy,
        degreeRatio,
        pagerankRatio,
        randomRatio,
        maxHops,
        seed,
        damping,
        pagerankTolerance);
  }

  public TokenizeConfig withStrategy(Anchors.Strategy chosen) {
    return new TokenizeConfig(
        anchors,
        k,
        m,
        chosen,
        degreeRatio,
        pagerankRatio,
        randomRatio,
        maxHops,
        seed,
        damping,
        pagerankTolerance);
  }

  public TokenizeConfig withSeed(long newSeed) {
    return new TokenizeConfig(
        anchors,
        k,
        m,
        strategy,
        degreeRatio,
        pagerankRatio,
        randomRatio,
        maxHops,
        newSeed,
        damping,
        pagerankTolerance);
  }

  /** The same settings with the given PageRank tolerance. */
  public TokenizeConfig withPagerankTolerance(double tolerance) {
    return new TokenizeConfig(
        anchors,
        k,
        m,
        strategy,
        degreeRatio,
        pagerankRatio,
        randomRatio,
        maxHops,
        seed,
        damping,
        tolerance);
  }

  /**
   * Defaults overridden by the {@code tokenize.*} entries of {@code settings}; unknown keys fail.
   */
  public static TokenizeConfig fromMap(Map<String, String> settings) {
    for (String key : settings.keySet()) {
      if (key.startsWith("tokenize.") && !KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown configuration key '" + key + "'; known: " + KEYS);
      }
    }
    TokenizeConfig d = DEFAULTS;
    double[] ratios = {d.degreeRatio, d.pagerankRatio, d.randomRatio};
    String ratioText = settings.get("tokenize.ratios");
    if (ratioText != null) {
      String[] parts = ratioText.split(",");
      require(
          parts.length == 3,
          "tokenize.ratios must be 'degree,pagerank,random', got '" + ratioText + "'");
      for (int i = 0; i < 3; i++) {
        ratios[i] = parseDouble("tokenize.ratios", parts[i].trim());
      }
    }
    String strategy = settings.getOrDefault("tokenize.strategy", d.strategy.name());
    Anchors.Strategy parsed;
    try {
      parsed = Anchors.Strategy.valueOf(strategy.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "tokenize.strategy must be degree|pagerank|random|mixture, got '" + strategy + "'", e);
    }
    return new TokenizeConfig(
        parseInt(settings, "tokenize.anchors", d.anchors),
        parseInt(settings, "tokenize.k", d.k),
        parseInt(settings, "tokenize.m", d.m),
        parsed,
        ratios[0],
        ratios[1],
        ratios[2],
        parseInt(settings, "tokenize.max_hops", d.maxHops),
        Long.parseLong(settings.getOrDefault("tokenize.seed", Long.toString(d.seed)).trim()),
        settings.containsKey("tokenize.pagerank.damping")
            ? parseDouble("tokenize.pagerank.damping", settings.get("tokenize.pagerank.damping"))
            : d.damping,
        settings.containsKey("tokenize.pagerank.tolerance")
            ? parseDouble(
                "tokenize.pagerank.tolerance", settings.get("tokenize.pagerank.tolerance"))
            : d.pagerankTolerance);
  }

  private static int parseInt(Map<String, String> settings, String key, int fallback) {
    String value = settings.get(key);
    if (value == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got '" + value + "'", e);
    }
  }

  private static double parseDouble(String key, String value) {
    try {
      return Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got '" + value + "'", e);
    }
  }
}
