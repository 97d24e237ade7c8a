package org.sparkkge.core.bench;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.data.KgDataset;
import org.sparkkge.core.nodepiece.NodePieceEncoder;
import org.sparkkge.core.nodepiece.NodePieceTokens;
import org.sparkkge.core.nodepiece.NodePieceTraining;
import org.sparkkge.core.train.ShardTrainer;

/**
 * NodePiece against shallow training, time per triple (benchmark, not a test). The same triples
 * (FB15k-237's training split), the same model, dim, negatives, batch and threads, trained for
 * {@code steps} steps each after {@code warmup} steps, one after the other in this JVM: first a
 * lookup table, then entity rows encoded from tokens of the example's vocabulary shape
 * (conf/examples/fb15k-237-nodepiece.conf: 1,000 anchors, 20 anchors and 15 relation tokens per
 * entity). The tokens are random (seeded): the cost of a step depends on their shape, not on which
 * anchors they name, so this measures throughput only, never quality.
 *
 * <p>Arguments (key=value): data=PATH (FB15k-237 folder), steps=20, warmup=3, threads=1,
 * model=complex_reciprocal, dim=200, batchSize=1000, chunkSize=250, negatives=1000, anchors=1000,
 * k=20, m=15, maxDistance=5, rounds=2 (shallow then NodePiece, repeated: the ratio of each pair is
 * printed), trainers=1 (more: then that many NodePiece trainings at once on disjoint slices of the
 * triples, as that many Spark tasks of one executor train, and their summed rate).
 */
public final class NodePieceBenchmark {
  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("data", "../shared/datasets/fb15k-237");
    a.put("steps", "20");
    a.put("warmup", "3");
    a.put("threads", "1");
    a.put("model", "complex_reciprocal");
    a.put("dim", "200");
    a.put("batchSize", "1000");
    a.put("chunkSize", "250");
    a.put("negatives", "1000");
    a.put("anchors", "1000");
    a.put("k", "20");
    a.put("m", "15");
    a.put("maxDistance", "5");
    a.put("rounds", "2");
    a.put("trainers", "1");
    a = BenchArgs.parse(a, args);
    KgDataset ds = KgDataset.load(Path.of(a.get("data")));
    int steps = Integer.parseInt(a.get("steps"));
    int warmup = Integer.parseInt(a.get("warmup"));
    TrainConfig config =
        TrainConfig.builder()
            .model(a.get("model"))
            .dim(Integer.parseInt(a.get("dim")))
            .batchSize(Integer.parseInt(a.get("batchSize")))
            .chunkSize(Integer.parseInt(a.get("chunkSize")))
            .negatives(Integer.parseInt(a.get("negatives")))
            .batchNegatives(50)
            .loss("softmax")
            .removeAccidentalHits(false)
            .lr(0.1f)
            .denseLr(0.0005f)
            .regularizer("n3")
            .regWeight(0.005f)
            .threads(Integer.parseInt(a.get("threads")))
            .seed(1)
            .build();
    NodePieceTokens tokens =
        randomTokens(
            ds.numEntities(),
            ds.numRelations(),
            Integer.parseInt(a.get("anchors")),
            Integer.parseInt(a.get("k")),
            Integer.parseInt(a.get("m")),
            Integer.parseInt(a.get("maxDistance")),
            new Random(7));
    System.out.printf(
        Locale.ROOT,
        "NodePiece against shallow: FB15k-237 (%,d triples, %,d entities), %s d=%d, batch %d, chunks"
            + " of %d, %d + 50 negatives, %d libtorch thread(s); tokens: %d anchors, k=%d, m=%d"
            + " (random, of the example's shape) [load %s]%n",
        ds.train().size(),
        ds.numEntities(),
        config.model(),
        config.dim(),
        config.batchSize(),
        config.chunkSize(),
        config.negatives(),
        config.threads(),
        tokens.numAnchors(),
        tokens.anchorsPerEntity(),
        tokens.relationsPerEntity(),
        BenchArgs.loadAverage());
    for (int round = 1; round <= Integer.parseInt(a.get("rounds")); round++) {
      double shallow = perTriple(ds, config, tokens, false, warmup, steps);
      double nodePiece = perTriple(ds, config, tokens, true, warmup, steps);
      System.out.printf(
          Locale.ROOT,
          "round %d: shallow %,.0f triples/s, NodePiece %,.0f triples/s: NodePiece / shallow time"
              + " per triple %.2f [load %s]%n",
          round,
          1 / shallow,
          1 / nodePiece,
          nodePiece / shallow,
          BenchArgs.loadAverage());
    }
    int trainers = Integer.parseInt(a.get("trainers"));
    if (trainers > 1) {
      concurrentNodePiece(ds, config, tokens, trainers, warmup, steps);
    }
  }

  /**
   * {@code trainers} NodePiece trainings at once on disjoint slices of the triples, one per thread,
   * as that many Spark tasks of one executor train: each warms up alone, then all time {@code
   * steps} steps together. Prints each one's rate and their sum.
   */
  private static void concurrentNodePiece(
      KgDataset ds, TrainConfig config, NodePieceTokens tokens, int trainers, int warmup, int steps)
      throws Exception {
    CyclicBarrier together = new CyclicBarrier(trainers);
    ExecutorService pool = Executors.newFixedThreadPool(trainers);
    try {
      List<Future<TrainResult>> futures = new ArrayList<>();
      for (int i = 0; i < trainers; i++) {
        TripleArrays slice = BenchArgs.slice(ds.train(), i, trainers);
        TrainConfig sliceConfig = config.toBuilder().seed(config.seed() + i).build();
        futures.add(
            pool.submit(
                () -> {
                  run(slice, ds, sliceConfig.toBuilder().maxSteps(warmup).build(), tokens, true);
                  together.await();
                  return run(
                      slice, ds, sliceConfig.toBuilder().maxSteps(steps).build(), tokens, true);
                }));
      }
      double sum = 0;
      StringBuilder each = new StringBuilder();
      for (Future<TrainResult> future : futures) {
        TrainResult r = future.get();
        double rate = r.stats().triplesTrained() / (r.stats().stepNanos() / 1e9);
        sum += rate;
        each.append(String.format(Locale.ROOT, " %,.0f/s;", rate));
      }
      System.out.printf(
          Locale.ROOT,
          "%d NodePiece trainings at once, %d libtorch thread(s) each:%s sum %,.0f triples/s [load %s]%n",
          trainers,
          config.threads(),
          each,
          sum,
          BenchArgs.loadAverage());
    } finally {
      pool.shutdownNow();
    }
  }

  /** Seconds per triple of {@code steps} steps, after {@code warmup} steps from the same start. */
  private static double perTriple(
      KgDataset ds,
      TrainConfig config,
      NodePieceTokens tokens,
      boolean encoded,
      int warmup,
      int steps) {
    run(ds.train(), ds, config.toBuilder().maxSteps(warmup).build(), tokens, encoded);
    TrainResult r =
        run(ds.train(), ds, config.toBuilder().maxSteps(warmup + steps).build(), tokens, encoded);
    TrainResult w =
        run(ds.train(), ds, config.toBuilder().maxSteps(warmup).build(), tokens, encoded);
    long nanos = r.stats().stepNanos() - w.stats().stepNanos();
    long triples = r.stats().triplesTrained() - w.stats().triplesTrained();
    long[] p = r.stats().phaseNanos();
    System.out.printf(
        Locale.ROOT,
        "  %s: %,d triples in %.2f s of steps; phases of all %d steps: sampling %.2f s, gather +"
            + " forward %.2f s, backward %.2f s, update %.2f s%n",
        encoded ? "NodePiece" : "shallow",
        triples,
        nanos / 1e9,
        warmup + steps,
        p[0] / 1e9,
        p[1] / 1e9,
        p[2] / 1e9,
        p[3] / 1e9);
    return nanos / 1e9 / triples;
  }

  /** Trains {@code triples} (of {@code ds}'s graph) from a fresh start. */
  private static TrainResult run(
      TripleArrays triples,
      KgDataset ds,
      TrainConfig config,
      NodePieceTokens tokens,
      boolean encoded) {
    if (!encoded) {
      return ShardTrainer.train(
          triples,
          ModelParameters.initialize(config, ds.numEntities(), ds.numRelations()),
          config,
          Device.cpu());
    }
    ModelParameters start = NodePieceEncoder.initialize(config, tokens, ds.numRelations());
    return NodePieceTraining.train(triples, start, config, Device.cpu(), tokens);
  }

  /**
   * k distinct anchors per entity with distances in [1, maxDistance], m relation tokens (of the 2R
   * directions), seeded.
   */
  static NodePieceTokens randomTokens(
      int entities, int relations, int anchors, int k, int m, int maxDistance, Random random) {
    int[] anchorIds = new int[entities * k];
    int[] distances = new int[entities * k];
    int[] relationTokens = new int[entities * m];
    for (int e = 0; e < entities; e++) {
      int first = random.nextInt(anchors);
      for (int j = 0; j < k; j++) {
        anchorIds[e * k + j] = (first + j * 37) % anchors;
        distances[e * k + j] = 1 + random.nextInt(maxDistance);
      }
      for (int j = 0; j < m; j++) {
        relationTokens[e * m + j] = random.nextInt(2 * relations);
      }
    }
    return new NodePieceTokens(
        entities, k, m, anchors, 2 * relations, maxDistance, anchorIds, distances, relationTokens);
  }
}
