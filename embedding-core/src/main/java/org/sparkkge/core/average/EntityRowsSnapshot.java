package org.sparkkge.core.average;

import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainResult;

/**
 * Entity rows one shard updated: ascending row ids, their values (row-major, rowIds.length x dim),
 * their Adagrad accumulators, and how many steps touched each row (the averaging weight).
 */
public record EntityRowsSnapshot(int dim, int[] rowIds, float[] values, float[] adagrad, int[] touchCounts) {

    public EntityRowsSnapshot {
        if (dim <= 0 || (long) rowIds.length * dim != values.length || adagrad.length != rowIds.length
                || touchCounts.length != rowIds.length) {
            throw new IllegalArgumentException("EntityRowsSnapshot: " + rowIds.length + " rows of dim " + dim
                    + " need " + (long) rowIds.length * dim + " values and one accumulator and touch count per row; got "
                    + values.length + ", " + adagrad.length + ", " + touchCounts.length);
        }
        for (int i = 0; i < rowIds.length; i++) {
            if (i > 0 && rowIds[i] <= rowIds[i - 1]) {
                throw new IllegalArgumentException("EntityRowsSnapshot: row ids must be strictly ascending at " + i);
            }
            if (touchCounts[i] <= 0) {
                throw new IllegalArgumentException("EntityRowsSnapshot: touch count of row " + rowIds[i] + " must be > 0");
            }
        }
    }

    public int size() {
        return rowIds.length;
    }

    /** The rows a shallow training touched, with their touch counts. */
    public static EntityRowsSnapshot of(TrainResult result) {
        ModelParameters p = result.params();
        if (p.entities().length == 0) {
            throw new IllegalArgumentException("encoded (NodePiece) parameters have no entity rows to snapshot");
        }
        int[] ids = result.stats().touchedEntities().clone();
        int d = p.dim();
        float[] values = new float[ids.length * d];
        float[] acc = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(p.entities(), ids[i] * d, values, i * d, d);
            acc[i] = p.entityAdagrad()[ids[i]];
        }
        return new EntityRowsSnapshot(d, ids, values, acc, result.stats().touchCounts().clone());
    }
}
