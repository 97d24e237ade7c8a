package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.List;

/** What the driver broadcasts each round: the shared parameters and the settings. */
public record RoundInput(
    int round,
    TrainOptions options,
    int numRelations,
    int relationDim,
    float[] relations,
    float[] relationAdagrad,
    List<TensorData> encoder)
    implements Serializable {}
