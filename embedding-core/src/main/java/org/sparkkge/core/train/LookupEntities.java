package org.sparkkge.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.ModelParameters;

/** Shallow entity embeddings: a row table with row-wise Adagrad. */
final class LookupEntities implements EntitySource {
    private final RowTable table;
    private final float lr;
    private NDArray leaf;

    LookupEntities(NDManager manager, ModelParameters start, float lr) {
        this.table = new RowTable(manager, start.entities(), start.entityAdagrad(), start.numEntities(), start.dim());
        this.lr = lr;
    }

    @Override
    public void prepareLeaves(NDManager manager, int[] uniqueEntities, NDArray uniqueIds) {
        leaf = table.gatherLeaf(uniqueIds);
    }

    @Override
    public NDArray rows() {
        return leaf;
    }

    @Override
    public void update(NDArray uniqueIds, long step) {
        table.applyAdagrad(uniqueIds, lr);
        leaf = null;
    }

    @Override
    public float[] entityValues() {
        return table.values();
    }

    @Override
    public float[] entityAccumulators() {
        return table.accumulators();
    }

    @Override
    public List<DenseTensor> encoderWeights() {
        return List.of();
    }
}
