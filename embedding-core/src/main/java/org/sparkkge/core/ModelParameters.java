package org.sparkkge.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * All trainable state as plain arrays (serialisable, broadcastable by Spark; no DJL types).
 *
 * @param model scoring model name
 * @param entities row-major numEntities x dim entity table; empty (length 0) when entity rows come
 *     from an encoder (NodePiece) instead of a lookup table
 * @param relations row-major numRelations x relationDim
 * @param entityAdagrad row-wise Adagrad accumulator per entity row (length numEntities, or 0 when
 *     encoded)
 * @param relationAdagrad row-wise Adagrad accumulator per relation row
 * @param encoder dense encoder weights (NodePiece), empty for shallow models
 */
public record ModelParameters(
    String model,
    int numEntities,
    int numRelations,
    int dim,
    int relationDim,
    float[] entities,
    float[] relations,
    float[] entityAdagrad,
    float[] relationAdagrad,
    List<DenseTensor> encoder) {

  public ModelParameters {
    ScoringModel m = ScoringModels.byName(model);
    if (numEntities <= 0 || numRelations <= 0 || dim <= 0) {
      throw new IllegalArgumentException(
          "ModelParameters: numEntities, numRelations and dim must be > 0, got "
              + numEntities
              + ", "
              + numRelations
              + ", "
              + dim);
    }
    if (relationDim != m.relationWidth(dim)) {
      throw new IllegalArgumentException(
          "ModelParameters: model "
              + model
              + " with dim "
              + dim
              + " needs relationDim "
              + m.relationWidth(dim)
              + ", got "
              + relationDim);
    }
    encoder = encoder == null ? List.of() : List.copyOf(encoder);
    boolean encoded = !encoder.isEmpty();
    if (!encoded && (long) numEntities * dim != entities.length) {
      throw new IllegalArgumentException(
          "ModelParameters: entity table has "
              + entities.length
              + " floats, expected numEntities*dim = "
              + (long) numEntities * dim);
    }
    if (encoded && entities.length != 0 && (long) numEntities * dim != entities.length) {
      throw new IllegalArgumentException(
          "ModelParameters: encoded entity table must be empty or numEntities*dim");
    }
    if ((long) numRelations * relationDim != relations.length) {
      throw new IllegalArgumentException(
          "ModelParameters: relation table has "
              + relations.length
              + " floats, expected numRelations*relationDim = "
              + (long) numRelations * relationDim);
    }
    if (entityAdagrad.length != numEntities && !(encoded && entityAdagrad.length == 0)) {
      throw new IllegalArgumentException(
          "ModelParameters: entityAdagrad needs one value per entity, got " + entityAdagrad.length);
    }
    if (relationAdagrad.length != numRelations) {
      throw new IllegalArgumentException(
          "ModelParameters: relationAdagrad needs one value per relation, got "
              + relationAdagrad.length);
    }
  }

  public boolean encoded() {
    return !encoder.isEmpty();
  }

  /**
   * Fresh shallow parameters: rows uniform in [-initScale, initScale] (RotatE phases in [-pi, pi]).
   */
  public static ModelParameters initialize(TrainConfig config, int numEntities, int numRelations) {
    ScoringModel m = ScoringModels.byName(config.model());
    Random random = new Random(config.seed() ^ 0x5DEECE66DL);
    float[] entities = new float[Math.multiplyExact(numEntities, config.dim())];
    for (int i = 0; i < entities.length; i++) {
      entities[i] = (random.nextFloat() * 2f - 1f) * config.initScale();
    }
    int rdim = m.relationWidth(config.dim());
    float[] relations = new float[Math.multiplyExact(numRelations, rdim)];
    m.initRelations(relations, config.dim(), random, config.initScale());
    return new ModelParameters(
        m.name(),
        numEntities,
        numRelations,
        config.dim(),
        rdim,
        entities,
        relations,
        new float[numEntities],
        new float[numRelations],
        List.of());
  }

  /** Deep copy (training never mutates its input, but callers may). */
  public ModelParameters copy() {
    List<DenseTensor> enc = new ArrayList<>();
    for (DenseTensor t : encoder) enc.add(t.copy());
    return new ModelParameters(
        model,
        numEntities,
        numRelations,
        dim,
        relationDim,
        entities.clone(),
        relations.clone(),
        entityAdagrad.clone(),
        relationAdagrad.clone(),
        enc);
  }

  public ModelParameters withEntities(float[] newEntities) {
    return new ModelParameters(
        model,
        numEntities,
        numRelations,
        dim,
        relationDim,
        newEntities,
        relations,
        entityAdagrad,
        relationAdagrad,
        encoder);
  }

  public float[] entityRow(int id) {
    float[] row = new float[dim];
    System.arraycopy(entities, id * dim, row, 0, dim);
    return row;
  }
}
