package org.sparkkge.core.average;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.ModelParameters;

/**
 * The merge math of one training round (Dist-KGE style): shared parameters are averaged over all
 * shards weighted by triples trained; each entity row is averaged only over the shards that touched
 * it, weighted by touch count; rows nobody touched keep their previous value.
 */
public final class ParameterAveraging {
    private ParameterAveraging() {}

    public static SharedSnapshot averageShared(List<SharedSnapshot> shards) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("averageShared: no shard snapshots");
        }
        SharedSnapshot first = shards.get(0);
        long total = 0;
        for (SharedSnapshot s : shards) {
            if (s.numRelations() != first.numRelations() || s.relationDim() != first.relationDim()
                    || s.encoder().size() != first.encoder().size()) {
                throw new IllegalArgumentException("averageShared: shard snapshots differ in shape");
            }
            total += s.triplesTrained();
        }
        if (total == 0) {
            throw new IllegalArgumentException("averageShared: no shard trained any triple, nothing to average");
        }
        double[] rel = new double[first.relations().length];
        double[] relAcc = new double[first.relationAdagrad().length];
        List<double[]> enc = new ArrayList<>();
        for (DenseTensor t : first.encoder()) enc.add(new double[t.values().length]);
        for (SharedSnapshot s : shards) {
            double w = (double) s.triplesTrained() / total;
            addScaled(rel, s.relations(), w);
            addScaled(relAcc, s.relationAdagrad(), w);
            for (int i = 0; i < enc.size(); i++) {
                DenseTensor t = s.encoder().get(i);
                DenseTensor ref = first.encoder().get(i);
                if (!t.name().equals(ref.name()) || !Arrays.equals(t.shape(), ref.shape())) {
                    throw new IllegalArgumentException("averageShared: encoder tensor " + i + " is " + t.name()
                            + Arrays.toString(t.shape()) + " in one shard, " + ref.name() + Arrays.toString(ref.shape())
                            + " in another");
                }
                addScaled(enc.get(i), t.values(), w);
            }
        }
        List<DenseTensor> encoder = new ArrayList<>();
        for (int i = 0; i < enc.size(); i++) {
            DenseTensor ref = first.encoder().get(i);
            encoder.add(new DenseTensor(ref.name(), ref.shape().clone(), toFloat(enc.get(i))));
        }
        return new SharedSnapshot(first.numRelations(), first.relationDim(), toFloat(rel), toFloat(relAcc), encoder,
                total);
    }

    /** Rows touched by any shard, each the touch-count-weighted mean over the shards that touched it. */
    public static EntityRowsSnapshot averageEntityRows(List<EntityRowsSnapshot> shards) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("averageEntityRows: no shard snapshots");
        }
        int d = shards.get(0).dim();
        int[] ids = shards.stream().flatMapToInt(s -> Arrays.stream(s.rowIds())).sorted().distinct().toArray();
        double[] sum = new double[ids.length * d];
        double[] accSum = new double[ids.length];
        long[] weight = new long[ids.length];
        for (EntityRowsSnapshot s : shards) {
            if (s.dim() != d) {
                throw new IllegalArgumentException("averageEntityRows: dims differ (" + d + " vs " + s.dim() + ")");
            }
            for (int i = 0; i < s.size(); i++) {
                int at = Arrays.binarySearch(ids, s.rowIds()[i]);
                int w = s.touchCounts()[i];
                weight[at] += w;
                accSum[at] += (double) w * s.adagrad()[i];
                for (int j = 0; j < d; j++) {
                    sum[at * d + j] += (double) w * s.values()[i * d + j];
                }
            }
        }
        float[] values = new float[sum.length];
        float[] acc = new float[ids.length];
        int[] counts = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < d; j++) values[i * d + j] = (float) (sum[i * d + j] / weight[i]);
            acc[i] = (float) (accSum[i] / weight[i]);
            counts[i] = (int) Math.min(Integer.MAX_VALUE, weight[i]);
        }
        return new EntityRowsSnapshot(d, ids, values, acc, counts);
    }

    /** New parameters: shared part replaced, averaged entity rows written over the base's rows. */
    public static ModelParameters apply(ModelParameters base, SharedSnapshot shared, EntityRowsSnapshot rows) {
        float[] entities = base.entities().clone();
        float[] entityAcc = base.entityAdagrad().clone();
        if (rows != null && rows.size() > 0) {
            if (entities.length == 0) {
                throw new IllegalArgumentException("apply: base parameters are encoded and have no entity rows");
            }
            if (rows.dim() != base.dim()) {
                throw new IllegalArgumentException("apply: row dim " + rows.dim() + " != parameter dim " + base.dim());
            }
            for (int i = 0; i < rows.size(); i++) {
                int id = rows.rowIds()[i];
                if (id < 0 || id >= base.numEntities()) {
                    throw new IllegalArgumentException("apply: row id " + id + " outside [0, " + base.numEntities() + ")");
                }
                System.arraycopy(rows.values(), i * rows.dim(), entities, id * base.dim(), base.dim());
                entityAcc[id] = rows.adagrad()[i];
            }
        }
        return new ModelParameters(base.model(), base.numEntities(), base.numRelations(), base.dim(),
                base.relationDim(), entities, shared.relations().clone(), entityAcc, shared.relationAdagrad().clone(),
                shared.encoder());
    }

    private static void addScaled(double[] into, float[] values, double w) {
        for (int i = 0; i < into.length; i++) into[i] += w * values[i];
    }

    private static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
        return out;
    }
}
