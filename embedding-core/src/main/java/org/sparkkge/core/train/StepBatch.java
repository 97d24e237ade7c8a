package org.sparkkge.core.train;

import java.util.Arrays;
import java.util.Random;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TripleArrays;

/**
 * The host-side part of one step: positives in chunks, sampled negatives, and every entity/relation
 * the step touches mapped to a compact local index (so the device gathers each row once). A short
 * batch is cut into chunks of near-equal size; padding positives (weight 0) fill the last one.
 */
final class StepBatch {
  /** Score given to a masked candidate, so that it contributes nothing to any loss. */
  static final float MASKED = -1e9f;

  /**
   * One-vs-all: local entity index = entity id, every entity is a candidate, no sampled negatives.
   */
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

  /** Batch position of the positive each batch negative was taken from. */
  int[] batchSource;

  /**
   * Local entity ids of every chunk's tail (head) candidates in score order: the chunk's uniform
   * negatives, then its batch tails (heads); chunks x (negatives + batchNegatives).
   */
  int[] tailCandidates;

  int[] headCandidates;

  /**
   * Flat indices into the (chunks, chunkSize, negatives + batchNegatives) tail and head score
   * tensors (uniform negatives first, then batch negatives) of candidates to mask; may be the same
   * array.
   */
  long[] tailMasked;

  long[] headMasked;

  /**
   * @param entityLocal scratch of length numEntities filled with -1; restored before returning
   * @param relationLocalScratch scratch of length numRelations filled with -1; restored before
   *     returning
   */
  static StepBatch prepare(
      TripleArrays shard,
      int[] order,
      int from,
      int count,
      TrainConfig config,
      int numEntities,
      Random random,
      int[] entityLocal,
      int[] relationLocalScratch) {
    return prepare(
        shard,
        null,
        order,
        from,
        count,
        config,
        numEntities,
        random,
        entityLocal,
        relationLocalScratch);
  }

  /**
   * The same with a weight per triple of {@code shard} in the loss ({@code tripleWeights} null = 1
   * each).
   */
  static StepBatch prepare(
      TripleArrays shard,
      float[] tripleWeights,
      int[] order,
      int from,
      int count,
      TrainConfig config,
      int numEntities,
      Random random,
      int[] entityLocal,
      int[] relationLocalScratch) {
    StepBatch b = new StepBatch();
    int chunkSize = config.effectiveChunkSize();
    int k = (count + chunkSize - 1) / chunkSize;
    // a short batch (a task's last, or a task smaller than a batch) spreads its positives evenly
    // over its chunks: at most k - 1 padding positives, not chunkSize - 1 (a task of 756 triples in
    // chunks of 250 computed 1,000); except where a chunk's batch negatives are its own positives
    boolean ownChunk =
        config.negativeSampler().batchNegativesFromOwnChunk()
            && config.batchNegatives() == chunkSize;
    int c = ownChunk ? chunkSize : (count + k - 1) / k;
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
      b.weights[i] = !real ? 0f : tripleWeights == null ? 1f : tripleWeights[triple[i]];
    }
    int[] uniqueE =
        new int
            [b.allEntities
                ? numEntities
                : Math.min(numEntities, 2 * padded + k * b.uniformNegatives)];
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
      // With nb == chunk size (chunked sampler) a chunk uses its own positives, as PyTorch-BigGraph
      // does.
      b.batchTailLocal = new int[k * nb];
      b.batchHeadLocal = new int[k * nb];
      b.batchSource = new int[k * nb];
      for (int chunk = 0; chunk < k; chunk++) {
        for (int j = 0; j < nb; j++) {
          int slot = ownChunk ? chunk * c + j : random.nextInt(count);
          int source = slot < count ? slot : 0;
          b.batchSource[chunk * nb + j] = source;
          b.batchTailLocal[chunk * nb + j] = b.tailLocal[source];
          b.batchHeadLocal[chunk * nb + j] = b.headLocal[source];
        }
      }
    }
    if (!b.allEntities) {
      b.tailCandidates = candidates(b, b.batchTailLocal);
      b.headCandidates = candidates(b, b.batchHeadLocal);
      if (config.removeAccidentalHits()) {
        b.tailMasked = accidentalHits(b, b.tailLocal, b.tailCandidates, nE[0]);
        b.headMasked = accidentalHits(b, b.headLocal, b.headCandidates, nE[0]);
      } else {
        b.tailMasked = ownTripleSlots(b);
        b.headMasked = b.tailMasked;
      }
    }
    b.uniqueEntities = Arrays.copyOf(uniqueE, nE[0]);
    b.uniqueRelations = Arrays.copyOf(uniqueR, nR[0]);
    for (int id : b.uniqueEntities) entityLocal[id] = -1;
    for (int id : b.uniqueRelations) relationLocalScratch[id] = -1;
    return b;
  }

  /**
   * Candidates equal to the positive's own answer ({@code answerLocal}: tails when corrupting
   * tails, heads when corrupting heads) among its chunk's {@code candidates}. Per chunk the
   * candidates are indexed by entity (a linked list through {@code next}), so the cost is O(chunk +
   * negatives), not their product.
   */
  private static long[] accidentalHits(
      StepBatch b, int[] answerLocal, int[] candidates, int localEntities) {
    int m = b.uniformNegatives + b.batchNegatives;
    int[] first = new int[localEntities];
    Arrays.fill(first, -1);
    int[] next = new int[m];
    LongList hits = new LongList();
    for (int chunk = 0; chunk < b.chunks; chunk++) {
      for (int j = m - 1; j >= 0; j--) {
        int e = candidates[chunk * m + j];
        next[j] = first[e];
        first[e] = j;
      }
      for (int i = 0; i < b.chunkSize; i++) {
        int positive = chunk * b.chunkSize + i;
        if (positive >= b.realPositives) break; // padding has weight 0: nothing to mask
        for (int j = first[answerLocal[positive]]; j >= 0; j = next[j])
          hits.add((long) positive * m + j);
      }
      for (int j = 0; j < m; j++) first[candidates[chunk * m + j]] = -1;
    }
    return hits.toArray();
  }

  /**
   * Each chunk's uniform negatives followed by its batch negatives from {@code batchLocal} (may be
   * null).
   */
  private static int[] candidates(StepBatch b, int[] batchLocal) {
    int mu = b.uniformNegatives;
    int nb = b.batchNegatives;
    int[] out = new int[b.chunks * (mu + nb)];
    for (int chunk = 0; chunk < b.chunks; chunk++) {
      System.arraycopy(b.negativeLocal, chunk * mu, out, chunk * (mu + nb), mu);
      if (nb > 0) System.arraycopy(batchLocal, chunk * nb, out, chunk * (mu + nb) + mu, nb);
    }
    return out;
  }

  /**
   * Batch negatives taken from the positive's own triple (without hit removal, only these are
   * masked).
   */
  private static long[] ownTripleSlots(StepBatch b) {
    int mu = b.uniformNegatives;
    int nb = b.batchNegatives;
    int m = mu + nb;
    LongList slots = new LongList();
    for (int positive = 0;
        positive < b.realPositives;
        positive++) { // padding has weight 0: nothing to mask
      int chunk = positive / b.chunkSize;
      for (int j = 0; j < nb; j++) {
        if (b.batchSource[chunk * nb + j] == positive) slots.add((long) positive * m + mu + j);
      }
    }
    return slots.toArray();
  }

  /** Growable list of longs (no boxing on the per-step host path). */
  private static final class LongList {
    private long[] values = new long[64];
    private int size;

    void add(long v) {
      if (size == values.length) values = Arrays.copyOf(values, size * 2);
      values[size++] = v;
    }

    long[] toArray() {
      return Arrays.copyOf(values, size);
    }
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
