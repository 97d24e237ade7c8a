package org.sparkkge.core.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;

/**
 * Filtered link-prediction ranking. For each test triple (h, r, t) it ranks t among candidates for
 * (h, r, ?) and h for (?, r, t), ignoring every other candidate that forms a known true triple.
 * Scores are computed on the device with the model's one-vs-many scoring, a block of queries at a time;
 * the true answer's score is read from the same score matrix, so ties are exact ties.
 */
public final class LinkPredictionEvaluator {
    /** Floats a broadcast-scoring block may materialise (distance models). */
    private static final long BROADCAST_BUDGET = 1L << 24;

    private LinkPredictionEvaluator() {}

    /**
     * @param params trained parameters with an entity table (NodePiece: materialise it first)
     * @param test triples to rank
     * @param known every true triple to filter (train + valid + test)
     * @param sampledCandidates 0 = rank against all entities; N > 0 = against N random entities (labelled "sampled")
     * @param batchSize queries per block
     * @param seed seed of candidate sampling
     */
    public static EvaluationResult evaluate(ModelParameters params, TripleArrays test, TripleArrays known,
            int sampledCandidates, int batchSize, long seed, Device device) {
        if (params.entities().length == 0) {
            throw new IllegalArgumentException("parameters have no entity table (encoded model): materialise it first");
        }
        if (sampledCandidates < 0 || batchSize <= 0) {
            throw new IllegalArgumentException("sampledCandidates must be >= 0 and batchSize > 0, got "
                    + sampledCandidates + ", " + batchSize);
        }
        test.checkIds(params.numEntities(), params.numRelations());
        known.checkIds(params.numEntities(), params.numRelations());
        ScoringModel model = ScoringModels.byName(params.model());
        int numEntities = params.numEntities();
        int r = params.numRelations();
        Map<Long, int[]> tailsOf = index(known.heads(), known.relations(), known.tails(), r);
        Map<Long, int[]> headsOf = index(known.tails(), known.relations(), known.heads(), r);
        boolean sampled = sampledCandidates > 0 && sampledCandidates < numEntities;
        int candidateCount = sampled ? sampledCandidates : numEntities;
        int block = batchSize;
        if (model.broadcastScoring()) {
            block = (int) Math.max(1, Math.min(batchSize, BROADCAST_BUDGET / ((long) candidateCount * params.dim())));
        }
        Random random = new Random(seed);
        Accumulator acc = new Accumulator();
        int d = params.dim();
        int rd = params.relationDim();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            // grad mode is per thread in libtorch and on by default in threads DJL did not set up
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            NDArray entities = manager.create(params.entities(), new Shape(numEntities, d));
            NDArray relations = manager.create(params.relations(), new Shape(r, rd));
            NDArray allCandidates = entities.expandDims(0);
            for (int from = 0; from < test.size(); from += block) {
                int b = Math.min(block, test.size() - from);
                // the scope also closes intermediates that ops on the shared candidate table leave in the base manager
                try (NDManager step = manager.newSubManager(); NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    int[] hs = Arrays.copyOfRange(test.heads(), from, from + b);
                    int[] rs = Arrays.copyOfRange(test.relations(), from, from + b);
                    int[] ts = Arrays.copyOfRange(test.tails(), from, from + b);
                    NDArray h = take(step, entities, hs).reshape(1, b, d);
                    NDArray rel = take(step, relations, rs).reshape(1, b, rd);
                    NDArray t = take(step, entities, ts).reshape(1, b, d);
                    int[] sample = sampled ? sample(random, numEntities, sampledCandidates) : null;
                    for (boolean tailDirection : new boolean[] {true, false}) {
                        int[] answers = tailDirection ? ts : hs;
                        NDArray candidates;
                        int[] columnOf = null;
                        if (sampled) {
                            // columns: the sampled entities, then this block's true answers
                            int[] ids = Arrays.copyOf(sample, sampledCandidates + b);
                            System.arraycopy(answers, 0, ids, sampledCandidates, b);
                            candidates = take(step, entities, ids).reshape(1, ids.length, d);
                            columnOf = ids;
                        } else {
                            candidates = allCandidates;
                        }
                        NDArray scores = tailDirection ? model.scoreTails(h, rel, candidates)
                                : model.scoreHeads(rel, t, candidates);
                        scores.attach(step);
                        float[] s = scores.toFloatArray();
                        int width = (int) scores.getShape().get(2);
                        for (int i = 0; i < b; i++) {
                            long key = tailDirection ? (long) hs[i] * r + rs[i] : (long) ts[i] * r + rs[i];
                            int[] filtered = (tailDirection ? tailsOf : headsOf).get(key);
                            int offset = i * width;
                            double[] opPe = sampled
                                    ? rankSampled(s, offset, sampledCandidates + i, sampledCandidates, columnOf,
                                            answers[i], filtered)
                                    : rankAll(s, offset, answers[i], numEntities, filtered);
                            acc.add(rs[i], tailDirection, opPe[0], opPe[1]);
                        }
                    }
                }
            }
        }
        return acc.result(sampled, candidateCount);
    }

    /** Optimistic and pessimistic rank of column {@code answer} among all columns, filtered. */
    static double[] rankAll(float[] s, int offset, int answer, int width, int[] filtered) {
        float target = s[offset + answer];
        long greater = 0;
        long equal = 0;
        for (int j = 0; j < width; j++) {
            float v = s[offset + j];
            if (v > target) greater++;
            else if (v == target) equal++;
        }
        equal--; // the answer itself
        if (filtered != null) {
            for (int x : filtered) {
                if (x == answer) continue;
                float v = s[offset + x];
                if (v > target) greater--;
                else if (v == target) equal--;
            }
        }
        return new double[] {greater + 1, greater + equal + 1};
    }

    /** Rank of the answer (at column answerColumn) among the first n sampled columns, filtered. */
    static double[] rankSampled(float[] s, int offset, int answerColumn, int n, int[] ids, int answer,
            int[] filtered) {
        float target = s[offset + answerColumn];
        long greater = 0;
        long equal = 0;
        for (int j = 0; j < n; j++) {
            int id = ids[j];
            if (id == answer || (filtered != null && Arrays.binarySearch(filtered, id) >= 0)) continue;
            float v = s[offset + j];
            if (v > target) greater++;
            else if (v == target) equal++;
        }
        return new double[] {greater + 1, greater + equal + 1};
    }

    private static int[] sample(Random random, int numEntities, int n) {
        // distinct ids: partial Fisher-Yates over a lazily materialised identity permutation
        Map<Integer, Integer> swapped = new HashMap<>();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(numEntities - i);
            int vj = swapped.getOrDefault(j, j);
            int vi = swapped.getOrDefault(i, i);
            swapped.put(j, vi);
            out[i] = vj;
        }
        return out;
    }

    private static NDArray take(NDManager manager, NDArray table, int[] ids) {
        long[] idx = new long[ids.length];
        for (int i = 0; i < ids.length; i++) idx[i] = ids[i];
        NDArray rows = table.get(new NDIndex("{}", manager.create(idx)));
        rows.attach(manager);
        return rows;
    }

    /** (key entity, relation) -> sorted distinct partner entities. */
    private static Map<Long, int[]> index(int[] keys, int[] relations, int[] values, int numRelations) {
        Map<Long, int[]> lists = new HashMap<>();
        Map<Long, Integer> sizes = new HashMap<>();
        for (int i = 0; i < keys.length; i++) {
            long key = (long) keys[i] * numRelations + relations[i];
            int[] list = lists.get(key);
            int size = sizes.getOrDefault(key, 0);
            if (list == null) {
                list = new int[2];
            } else if (size == list.length) {
                list = Arrays.copyOf(list, size * 2);
            }
            list[size] = values[i];
            lists.put(key, list);
            sizes.put(key, size + 1);
        }
        Map<Long, int[]> out = new HashMap<>(lists.size() * 2);
        for (Map.Entry<Long, int[]> e : lists.entrySet()) {
            out.put(e.getKey(), Arrays.stream(e.getValue(), 0, sizes.get(e.getKey())).sorted().distinct().toArray());
        }
        return out;
    }

    private static final class Accumulator {
        RankMetrics realistic = RankMetrics.EMPTY;
        RankMetrics optimistic = RankMetrics.EMPTY;
        RankMetrics pessimistic = RankMetrics.EMPTY;
        RankMetrics tails = RankMetrics.EMPTY;
        RankMetrics heads = RankMetrics.EMPTY;
        final Map<Integer, RankMetrics> perRelation = new TreeMap<>();

        void add(int relation, boolean tailDirection, double optimisticRank, double pessimisticRank) {
            double real = (optimisticRank + pessimisticRank) / 2;
            realistic = realistic.add(real);
            optimistic = optimistic.add(optimisticRank);
            pessimistic = pessimistic.add(pessimisticRank);
            if (tailDirection) tails = tails.add(real);
            else heads = heads.add(real);
            perRelation.merge(relation, RankMetrics.EMPTY.add(real), RankMetrics::plus);
        }

        EvaluationResult result(boolean sampled, int candidates) {
            return new EvaluationResult(sampled, candidates, realistic, optimistic, pessimistic, tails, heads,
                    perRelation);
        }
    }
}
