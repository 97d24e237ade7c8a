package org.sparkkge.core.bench;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
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
 * printed).
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
  }

  /** Seconds per triple of {@code steps} steps, after {@code warmup} steps from the same start. */
  private static double perTriple(
      KgDataset ds,
      TrainConfig config,
      NodePieceTokens tokens,
      boolean encoded,
      int warmup,
      int steps) {
    run(ds, config.toBuilder().maxSteps(warmup).build(), tokens, encoded);
    TrainResult r = run(ds, config.toBuilder().maxSteps(warmup + steps).build(), tokens, encoded);
    TrainResult w = run(ds, config.toBuilder().maxSteps(warmup).build(), tokens, encoded);
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

  private static TrainResult run(
      KgDataset ds, TrainConfig config, NodePieceTokens tokens, boolean encoded) {
    if (!encoded) {
      return ShardTrainer.train(
          ds.train(),
          ModelParameters.initialize(config, ds.numEntities(), ds.numRelations()),
          config,
          Device.cpu());
    }
    ModelParameters start = NodePieceEncoder.initialize(config, tokens, ds.numRelations());
    return NodePieceTraining.train(ds.train(), start, config, Device.cpu(), tokens);
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
