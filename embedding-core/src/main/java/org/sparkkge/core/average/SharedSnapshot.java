package org.sparkkge.core.average;

import java.util.ArrayList;
import java.util.List;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.TrainResult;

/**
 * Parameters every shard trains and the merge averages globally: the relation table (with its
 * Adagrad accumulators) and the encoder weights (NodePiece vocabulary and MLP). Weight = triples
 * trained.
 */
public record SharedSnapshot(
    int numRelations,
    int relationDim,
    float[] relations,
    float[] relationAdagrad,
    List<DenseTensor> encoder,
    long triplesTrained) {

  public SharedSnapshot {
    if ((long) numRelations * relationDim != relations.length
        || relationAdagrad.length != numRelations) {
      throw new IllegalArgumentException(
          "SharedSnapshot: relation arrays do not match " + numRelations + " x " + relationDim);
    }
    if (triplesTrained < 0) {
      throw new IllegalArgumentException(
          "SharedSnapshot: triplesTrained must be >= 0, got " + triplesTrained);
    }
    encoder = List.copyOf(encoder);
  }

  public static SharedSnapshot of(TrainResult result) {
    var p = result.params();
    List<DenseTensor> enc = new ArrayList<>();
    for (DenseTensor t : p.encoder()) enc.add(t.copy());
    return new SharedSnapshot(
        p.numRelations(),
        p.relationDim(),
        p.relations().clone(),
        p.relationAdagrad().clone(),
        enc,
        result.stats().triplesTrained());
  }
}
