package org.sparkkge.core.train;

import java.util.Arrays;
import java.util.Random;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TripleArrays;

/**
 * The host-side part of one step: positives in chunks, sampled negatives, and every entity/relation
 * the step touches mapped to a compact local index (so the device gathers each row once).
 * Padding positives (weight 0) fill the last chunk of a short final batch.
 */
final class StepBatch {
    /** Added to the score of a masked candidate (a batch negative that is the positive's own entity). */
    static final float MASKED = -1e9f;

    /** One-vs-all: local entity index = entity id, every entity is a candidate, no sampled negatives. */
    boolean allEntities;
    int chunks;
    int chunkSize;
    int uniformNegatives;
    int batchNegatives;
    int realPositives;
    float[] weights;
    int[] uniqueEntities;
    int[] uniqueRelations;
    int[] headLocal;
    int[] tailLocal;
    int[] relationLocal;
    int[] negativeLocal;
    int[] batchTailLocal;
    int[] batchHeadLocal;
    float[] batchMask;

    /**
     * @param entityLocal scratch of length numEntities filled with -1; restored before returning
     * @param relationLocalScratch scratch of length numRelations filled with -1; restored before returning
     */
    static StepBatch prepare(TripleArrays shard, int[] order, int from, int count, TrainConfig config,
            int numEntities, Random random, int[] entityLocal, int[] relationLocalScratch) {
        StepBatch b = new StepBatch();
        int c = config.effectiveChunkSize();
        int k = (count + c - 1) / c;
        int padded = k * c;
        b.chunks = k;
        b.chunkSize = c;
        b.realPositives = count;
        b.allEntities = config.allEntities();
        b.uniformNegatives = b.allEntities ? 0 : config.negatives();
        b.batchNegatives = b.allEntities ? 0 : config.batchNegatives();
        b.weights = new float[padded];
        int[] triple = new int[padded];
        for (int i = 0; i < padded; i++) {
            boolean real = i < count;
            triple[i] = order[from + (real ? i : 0)];
            b.weights[i] = real ? 1f : 0f;
        }
        int[] uniqueE = new int[b.allEntities ? numEntities : Math.min(numEntities, 2 * padded + k * b.uniformNegatives)];
        int[] nE = {0};
        if (b.allEntities) {
            for (int id = 0; id < numEntities; id++) local(id, entityLocal, uniqueE, nE);
        }
        int[] uniqueR = new int[Math.min(relationLocalScratch.length, padded)];
        int[] nR = {0};
        b.headLocal = new int[padded];
        b.tailLocal = new int[padded];
        b.relationLocal = new int[padded];
        for (int i = 0; i < padded; i++) {
            b.headLocal[i] = local(shard.heads()[triple[i]], entityLocal, uniqueE, nE);
            b.tailLocal[i] = local(shard.tails()[triple[i]], entityLocal, uniqueE, nE);
            b.relationLocal[i] = local(shard.relations()[triple[i]], relationLocalScratch, uniqueR, nR);
        }
        b.negativeLocal = new int[k * b.uniformNegatives];
        for (int i = 0; i < b.negativeLocal.length; i++) {
            b.negativeLocal[i] = local(random.nextInt(numEntities), entityLocal, uniqueE, nE);
        }
        int nb = b.batchNegatives;
        if (nb > 0) {
            // Batch negatives are entities of other positives of this batch: degree-proportional.
            // With nb == chunk size (chunked sampler) a chunk uses its own positives, as PyTorch-BigGraph does.
            b.batchTailLocal = new int[k * nb];
            b.batchHeadLocal = new int[k * nb];
            b.batchMask = new float[padded * nb];
            boolean ownChunk = config.chunked() && nb == c;
            for (int chunk = 0; chunk < k; chunk++) {
                for (int j = 0; j < nb; j++) {
                    int slot = ownChunk ? chunk * c + j : random.nextInt(count);
                    int source = slot < count ? slot : 0;
                    b.batchTailLocal[chunk * nb + j] = b.tailLocal[source];
                    b.batchHeadLocal[chunk * nb + j] = b.headLocal[source];
                    for (int i = 0; i < c; i++) {
                        int positive = chunk * c + i;
                        int positiveSource = positive < count ? positive : 0;
                        if (positiveSource == source) {
                            b.batchMask[(positive * nb) + j] = MASKED;
                        }
                    }
                }
            }
        }
        b.uniqueEntities = Arrays.copyOf(uniqueE, nE[0]);
        b.uniqueRelations = Arrays.copyOf(uniqueR, nR[0]);
        for (int id : b.uniqueEntities) entityLocal[id] = -1;
        for (int id : b.uniqueRelations) relationLocalScratch[id] = -1;
        return b;
    }

    private static int local(int id, int[] localOf, int[] unique, int[] count) {
        int l = localOf[id];
        if (l < 0) {
            l = count[0]++;
            localOf[id] = l;
            unique[l] = id;
        }
        return l;
    }

    static long[] asLong(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) out[i] = values[i];
        return out;
    }
}
