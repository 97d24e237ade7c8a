package org.sparkkge.jobs.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkkge.core.model.ScoringModels;

/** model.json: enough to score triples from the Parquet embeddings alone, without this code. */
public final class ModelInfo {
  private ModelInfo() {}

  public static Map<String, Object> of(
      TrainOptions options,
      int numEntities,
      int numRelations,
      int relationDim,
      int rounds,
      int shards) {
    String model = options.core().model();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", model);
    m.put("scoring_function", scoringFunction(model));
    m.put("higher_score_means", "more plausible triple");
    m.put("dim", options.core().dim());
    m.put("relation_dim", relationDim);
    m.put("layout", layout(model, options.core().dim()));
    m.put("mode", options.mode());
    m.put("entities", numEntities);
    m.put("relations", numRelations);
    m.put("rounds", rounds);
    m.put("shards", shards);
    m.put("epochs", options.core().epochs());
    m.put("round_fraction", options.roundFraction());
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("model", model);
    config.put("dim", options.core().dim());
    config.put("lr", options.core().lr());
    config.put("dense_lr", options.core().denseLr());
    config.put("batch_size", options.core().batchSize());
    config.put("negatives", options.core().negatives());
    config.put("batch_negatives", options.core().batchNegatives());
    config.put("sampler", options.core().sampler());
    config.put("chunk_size", options.core().chunkSize());
    config.put("loss", options.core().loss());
    config.put("margin", options.core().margin());
    config.put("adversarial_temperature", options.core().adversarialTemperature());
    config.put("regularizer", options.core().regularizer());
    config.put("reg_weight", options.core().regWeight());
    config.put("seed", options.core().seed());
    config.put("init_scale", options.core().initScale());
    m.put("config", config);
    return m;
  }

  public static String scoringFunction(String model) {
    if (ScoringModels.isReciprocal(model)) {
      String base = ScoringModels.baseName(model);
      return "reciprocal relations over "
          + scoringFunction(base)
          + ". Each relation row holds two "
          + base
          + " relation rows, [r_forward | r_inverse]: a tail query (h, r, ?) scores "
          + base
          + "(h, r_forward, t); a head query (?, r, t) scores "
          + base
          + "(t, r_inverse, h)";
    }
    return switch (model) {
      case "transe_l1" -> "TransE, L1: score(h, r, t) = -sum_i |h_i + r_i - t_i|";
      case "transe_l2" -> "TransE, L2: score(h, r, t) = -sqrt(sum_i (h_i + r_i - t_i)^2)";
      case "distmult" -> "DistMult: score(h, r, t) = sum_i h_i * r_i * t_i";
      case "complex" ->
          "ComplEx: score(h, r, t) = Re(sum_k h_k * r_k * conj(t_k)) with complex h, r, t of dim/2 "
              + "components; with h = a + ib, r = c + id, t = e + if: sum_k e_k (a_k c_k - b_k d_k) + f_k (b_k c_k + a_k d_k)";
      case "rotate" ->
          "RotatE: score(h, r, t) = -sum_k |h_k * exp(i * phase_k) - t_k| with complex h, t of dim/2 "
              + "components and relation rows holding dim/2 phases (radians)";
      default -> model;
    };
  }

  public static String layout(String model, int dim) {
    if (ScoringModels.isReciprocal(model)) {
      return layout(ScoringModels.baseName(model), dim)
          + "; reciprocal relations: a relation embedding is the "
          + "forward relation row followed by the inverse relation row, each in that layout";
    }
    if (ScoringModels.isComplex(model)) {
      String relation =
          model.equals("rotate")
              ? "relation embedding: dim/2 = "
                  + dim / 2
                  + " phases in radians (r_k = cos(phase_k) + i sin(phase_k))"
              : "relation embedding: same layout as entities";
      return "complex vectors: entity embedding of length dim = "
          + dim
          + " holds all "
          + dim / 2
          + " real parts first, then all "
          + dim / 2
          + " imaginary parts; "
          + relation;
    }
    return "real vectors of length dim = " + dim + " for entities and relations";
  }
}
