package org.sparkkge.jobs.train;

import java.io.Serializable;

/** One row of the shallow entity table: embedding and its row-wise Adagrad accumulator. */
public record EntityRow(float[] values, float adagrad) implements Serializable {}
