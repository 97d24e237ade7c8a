package org.sparkkge.core;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.sparkkge.core.loss.LossFunctions;
import org.sparkkge.core.loss.Regularizers;
import org.sparkkge.core.model.ScoringModels;
import org.sparkkge.core.sampling.NegativeSampler;
import org.sparkkge.core.sampling.NegativeSamplers;

/**
 * Every knob of shard training, validated on construction. Spark stages build it from the HOCON
 * block {@code train.*} through {@link #fromMap(Map)} (keys listed in {@link #KEYS}, kebab-case).
 *
 * @param model registered scoring model name ({@link ScoringModels#names()})
 * @param dim floats per entity row (complex models: dim/2 real parts then dim/2 imaginary parts)
 * @param lr row-wise Adagrad learning rate for the embedding tables
 * @param denseLr Adam learning rate for dense weights (NodePiece encoder)
 * @param batchSize positive triples per step
 * @param negatives uniformly drawn negative entities (per chunk when chunked, per positive when
 *     uniform; unused by the "all" sampler)
 * @param batchNegatives negatives drawn from the entities of the batch itself
 *     (degree-proportional); 0 = none (unused by the "all" sampler)
 * @param sampler "chunked" (a chunk of positives shares its negatives, PyTorch-BigGraph style),
 *     "uniform", or "all" (one-vs-all: every positive against every entity of the shard, softmax
 *     loss; a step then costs O(batch x entities), so it suits shards of up to some 10^5 entities)
 * @param chunkSize positives per chunk for the chunked sampler
 * @param loss "softmax", "margin", "logistic" or "adversarial" (self-adversarial, RotatE paper)
 * @param margin margin of the ranking loss, or gamma of the logistic/adversarial losses
 * @param softmaxMargin added to every sampled negative's score in the softmax loss, so a positive
 *     must beat each negative by this much; log((N - 1) / M) is also the sampled-softmax correction
 *     that makes M uniform negatives stand for all N - 1 other entities (0 = plain sampled softmax)
 * @param removeAccidentalHits mask every sampled negative that is the positive's own answer (the
 *     true tail when corrupting tails, the true head when corrupting heads), so no positive is
 *     trained against itself; when off, only a batch negative taken from the positive's own triple
 *     is masked (unused by the "all" sampler, whose loss counts the positive's own column once, as
 *     the target)
 * @param adversarialTemperature alpha of self-adversarial negative sampling
 * @param regularizer "none", "n3" or "l2", applied to the rows of the positive triples
 * @param regWeight weight of the regulariser
 * @param epochs passes over the shard
 * @param maxSteps stop after this many steps in total (0 = no limit)
 * @param seed seed of shuffling and sampling: same seed, same result
 * @param threads libtorch intra-op threads (JVM-wide setting; 1 suits one Spark task per core,
 *     since 2 threads on a loaded machine were 7x slower than 1); 0 = leave as it is
 * @param initScale entity/relation rows start uniform in [-initScale, initScale]
 */
public record TrainConfig(
    String model,
    int dim,
    float lr,
    float denseLr,
    int batchSize,
    int negatives,
    int batchNegatives,
    String sampler,
    int chunkSize,
    String loss,
    float margin,
    float softmaxMargin,
    boolean removeAccidentalHits,
    float adversarialTemperature,
    String regularizer,
    float regWeight,
    int epochs,
    long maxSteps,
    long seed,
    int threads,
    float initScale)
    implements Serializable {

  public static final Set<String> SAMPLERS = NegativeSamplers.names();
  public static final Set<String> LOSSES = LossFunctions.names();
  public static final Set<String> REGULARIZERS = Regularizers.names();

  private static final Map<String, Key> KEY_TABLE = keyTable();

  /** HOCON keys under {@code train.} with their defaults, in documentation order. */
  public static final Map<String, String> KEYS = defaultsAsMap();

  public TrainConfig {
    List<String> errors = new ArrayList<>();
    if (model == null || !ScoringModels.names().contains(model.toLowerCase(Locale.ROOT))) {
      errors.add(
          "train.model: unknown model '" + model + "', expected one of " + ScoringModels.names());
    } else {
      model = model.toLowerCase(Locale.ROOT);
      if (dim > 0 && ScoringModels.isComplex(model) && dim % 2 != 0) {
        errors.add(
            "train.dim: model "
                + model
                + " needs an even dim (real and imaginary halves), got "
                + dim);
      }
    }
    if (dim <= 0) errors.add("train.dim must be > 0, got " + dim);
    if (!(lr > 0) || Float.isInfinite(lr))
      errors.add("train.lr must be a positive number, got " + lr);
    if (!(denseLr > 0) || Float.isInfinite(denseLr))
      errors.add("train.dense-lr must be a positive number, got " + denseLr);
    if (batchSize <= 0) errors.add("train.batch-size must be > 0, got " + batchSize);
    if (negatives < 0) errors.add("train.negatives must be >= 0, got " + negatives);
    if (batchNegatives < 0) errors.add("train.batch-negatives must be >= 0, got " + batchNegatives);
    if (negatives + batchNegatives == 0 && !"all".equals(sampler)) {
      errors.add("train.negatives + train.batch-negatives must be > 0");
    }
    if ("all".equals(sampler) && loss != null && !"softmax".equals(loss)) {
      errors.add(
          "train.sampler=all scores every entity, the positive's own included, so it needs train.loss=softmax, got "
              + loss);
    }
    if ("all".equals(sampler)
        && model != null
        && ScoringModels.names().contains(model.toLowerCase(Locale.ROOT))
        && ScoringModels.byName(model).broadcastScoring()) {
      errors.add(
          "train.sampler=all needs a model that scores candidates by a matrix product (complex, distmult and"
              + " their _reciprocal variants); "
              + model
              + " would materialise batch x entities x dim floats");
    }
    if (sampler == null || !SAMPLERS.contains(sampler))
      errors.add("train.sampler: unknown '" + sampler + "', expected one of " + SAMPLERS);
    if (chunkSize <= 0) errors.add("train.chunk-size must be > 0, got " + chunkSize);
    if (chunkSize > 0 && batchSize > 0 && "chunked".equals(sampler) && batchSize % chunkSize != 0) {
      errors.add(
          "train.batch-size ("
              + batchSize
              + ") must be a multiple of train.chunk-size ("
              + chunkSize
              + ")");
    }
    if (loss == null || !LOSSES.contains(loss))
      errors.add("train.loss: unknown '" + loss + "', expected one of " + LOSSES);
    if (!(margin >= 0) || Float.isInfinite(margin))
      errors.add("train.margin must be >= 0, got " + margin);
    if (!(softmaxMargin >= 0) || Float.isInfinite(softmaxMargin)) {
      errors.add("train.softmax-margin must be >= 0, got " + softmaxMargin);
    } else if (softmaxMargin > 0 && (!"softmax".equals(loss) || "all".equals(sampler))) {
      errors.add(
          "train.softmax-margin applies to the softmax loss over sampled negatives (train.loss=softmax,"
              + " train.sampler chunked or uniform), got loss "
              + loss
              + ", sampler "
              + sampler);
    }
    if (!(adversarialTemperature >= 0) || Float.isInfinite(adversarialTemperature)) {
      errors.add("train.adversarial-temperature must be >= 0, got " + adversarialTemperature);
    }
    if (regularizer == null || !REGULARIZERS.contains(regularizer)) {
      errors.add(
          "train.regularizer: unknown '" + regularizer + "', expected one of " + REGULARIZERS);
    }
    if (!(regWeight >= 0) || Float.isInfinite(regWeight))
      errors.add("train.reg-weight must be >= 0, got " + regWeight);
    if (epochs <= 0) errors.add("train.epochs must be > 0, got " + epochs);
    if (maxSteps < 0) errors.add("train.max-steps must be >= 0 (0 = no limit), got " + maxSteps);
    if (threads < 0)
      errors.add("train.threads must be >= 0 (0 = libtorch default), got " + threads);
    if (!(initScale > 0) || Float.isInfinite(initScale))
      errors.add("train.init-scale must be > 0, got " + initScale);
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid training configuration: " + String.join("; ", errors));
    }
  }

  /** The sampler train.sampler names. */
  public NegativeSampler negativeSampler() {
    return NegativeSamplers.byName(sampler);
  }

  /** One-vs-all: every positive is scored against every entity. */
  public boolean allEntities() {
    return negativeSampler().scoresAllEntities();
  }

  /**
   * Positives per chunk: chunkSize for the chunked sampler, 1 (own negatives per positive) for
   * uniform, the whole batch for one-vs-all.
   */
  public int effectiveChunkSize() {
    return negativeSampler().chunkSize(chunkSize, batchSize);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .model(model)
        .dim(dim)
        .lr(lr)
        .denseLr(denseLr)
        .batchSize(batchSize)
        .negatives(negatives)
        .batchNegatives(batchNegatives)
        .sampler(sampler)
        .chunkSize(chunkSize)
        .loss(loss)
        .margin(margin)
        .softmaxMargin(softmaxMargin)
        .removeAccidentalHits(removeAccidentalHits)
        .adversarialTemperature(adversarialTemperature)
        .regularizer(regularizer)
        .regWeight(regWeight)
        .epochs(epochs)
        .maxSteps(maxSteps)
        .seed(seed)
        .threads(threads)
        .initScale(initScale);
  }

  /**
   * Builds a config from string/number values keyed as in {@link #KEYS} (with or without the {@code
   * train.} prefix); missing keys take their defaults, unknown keys are an error.
   */
  public static TrainConfig fromMap(Map<String, ?> values) {
    Builder b = builder();
    for (Map.Entry<String, ?> e : values.entrySet()) {
      String key = e.getKey().startsWith("train.") ? e.getKey().substring(6) : e.getKey();
      String v = String.valueOf(e.getValue()).trim();
      Key known = KEY_TABLE.get(key);
      if (known == null) {
        throw new IllegalArgumentException(
            "unknown key train." + key + ", expected one of " + KEYS.keySet());
      }
      try {
        known.set().accept(b, v);
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("train." + key + ": not a number: '" + v + "'", ex);
      }
    }
    return b.build();
  }

  /**
   * Strict: only "true" or "false" (any case), so a typo is an error rather than a silent false.
   */
  private static boolean parseBoolean(String key, String v) {
    if (v.equalsIgnoreCase("true")) return true;
    if (v.equalsIgnoreCase("false")) return false;
    throw new IllegalArgumentException(
        "train." + key + ": expected true or false, got '" + v + "'");
  }

  /** A train.* key: its value in a config and how a builder takes it from text. */
  private record Key(
      String name, Function<TrainConfig, Object> get, BiConsumer<Builder, String> set) {}

  private static Map<String, Key> keyTable() {
    List<Key> keys =
        List.of(
            new Key("model", TrainConfig::model, Builder::model),
            new Key("dim", TrainConfig::dim, (b, v) -> b.dim(Integer.parseInt(v))),
            new Key("lr", TrainConfig::lr, (b, v) -> b.lr(Float.parseFloat(v))),
            new Key("dense-lr", TrainConfig::denseLr, (b, v) -> b.denseLr(Float.parseFloat(v))),
            new Key(
                "batch-size", TrainConfig::batchSize, (b, v) -> b.batchSize(Integer.parseInt(v))),
            new Key(
                "negatives", TrainConfig::negatives, (b, v) -> b.negatives(Integer.parseInt(v))),
            new Key(
                "batch-negatives",
                TrainConfig::batchNegatives,
                (b, v) -> b.batchNegatives(Integer.parseInt(v))),
            new Key("sampler", TrainConfig::sampler, Builder::sampler),
            new Key(
                "chunk-size", TrainConfig::chunkSize, (b, v) -> b.chunkSize(Integer.parseInt(v))),
            new Key("loss", TrainConfig::loss, Builder::loss),
            new Key("margin", TrainConfig::margin, (b, v) -> b.margin(Float.parseFloat(v))),
            new Key(
                "softmax-margin",
                TrainConfig::softmaxMargin,
                (b, v) -> b.softmaxMargin(Float.parseFloat(v))),
            new Key(
                "remove-accidental-hits",
                TrainConfig::removeAccidentalHits,
                (b, v) -> b.removeAccidentalHits(parseBoolean("remove-accidental-hits", v))),
            new Key(
                "adversarial-temperature",
                TrainConfig::adversarialTemperature,
                (b, v) -> b.adversarialTemperature(Float.parseFloat(v))),
            new Key("regularizer", TrainConfig::regularizer, Builder::regularizer),
            new Key(
                "reg-weight", TrainConfig::regWeight, (b, v) -> b.regWeight(Float.parseFloat(v))),
            new Key("epochs", TrainConfig::epochs, (b, v) -> b.epochs(Integer.parseInt(v))),
            new Key("max-steps", TrainConfig::maxSteps, (b, v) -> b.maxSteps(Long.parseLong(v))),
            new Key("seed", TrainConfig::seed, (b, v) -> b.seed(Long.parseLong(v))),
            new Key("threads", TrainConfig::threads, (b, v) -> b.threads(Integer.parseInt(v))),
            new Key(
                "init-scale", TrainConfig::initScale, (b, v) -> b.initScale(Float.parseFloat(v))));
    Map<String, Key> table = new LinkedHashMap<>();
    keys.forEach(k -> table.put(k.name(), k));
    return Collections.unmodifiableMap(table);
  }

  private static Map<String, String> defaultsAsMap() {
    TrainConfig defaults = builder().build();
    Map<String, String> m = new LinkedHashMap<>();
    KEY_TABLE.forEach((name, key) -> m.put(name, String.valueOf(key.get().apply(defaults))));
    return Collections.unmodifiableMap(m);
  }

  /** Fluent builder starting from the defaults (PyTorch-BigGraph-like ComplEx set-up). */
  public static final class Builder {
    private String model = "complex";
    private int dim = 200;
    private float lr = 0.1f;
    private float denseLr = 0.001f;
    private int batchSize = 1000;
    private int negatives = 1000;
    private int batchNegatives = 50;
    private String sampler = "chunked";
    private int chunkSize = 50;
    private String loss = "softmax";
    private float margin = 1.0f;
    private float softmaxMargin = 0f;
    private boolean removeAccidentalHits = true;
    private float adversarialTemperature = 1.0f;
    private String regularizer = "none";
    private float regWeight = 0f;
    private int epochs = 1;
    private long maxSteps = 0;
    private long seed = 42;
    private int threads = 1;
    private float initScale = 0.1f;

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder dim(int v) {
      dim = v;
      return this;
    }

    public Builder lr(float v) {
      lr = v;
      return this;
    }

    public Builder denseLr(float v) {
      denseLr = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder negatives(int v) {
      negatives = v;
      return this;
    }

    public Builder batchNegatives(int v) {
      batchNegatives = v;
      return this;
    }

    public Builder sampler(String v) {
      sampler = v;
      return this;
    }

    public Builder chunkSize(int v) {
      chunkSize = v;
      return this;
    }

    public Builder loss(String v) {
      loss = v;
      return this;
    }

    public Builder margin(float v) {
      margin = v;
      return this;
    }

    public Builder softmaxMargin(float v) {
      softmaxMargin = v;
      return this;
    }

    public Builder removeAccidentalHits(boolean v) {
      removeAccidentalHits = v;
      return this;
    }

    public Builder adversarialTemperature(float v) {
      adversarialTemperature = v;
      return this;
    }

    public Builder regularizer(String v) {
      regularizer = v;
      return this;
    }

    public Builder regWeight(float v) {
      regWeight = v;
      return this;
    }

    public Builder epochs(int v) {
      epochs = v;
      return this;
    }

    public Builder maxSteps(long v) {
      maxSteps = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    public Builder initScale(float v) {
      initScale = v;
      return this;
    }

    public TrainConfig build() {
      return new TrainConfig(
          model,
          dim,
          lr,
          denseLr,
          batchSize,
          negatives,
          batchNegatives,
          sampler,
          chunkSize,
          loss,
          margin,
          softmaxMargin,
          removeAccidentalHits,
          adversarialTemperature,
          regularizer,
          regWeight,
          epochs,
          maxSteps,
          seed,
          threads,
          initScale);
    }
  }
}
