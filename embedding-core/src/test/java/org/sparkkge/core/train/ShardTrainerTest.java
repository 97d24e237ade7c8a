package org.sparkkge.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TestData;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.data.KgDataset;
import org.sparkkge.core.eval.LinkPredictionEvaluator;

class ShardTrainerTest {
  static final KgDataset UMLS = TestData.bundled("umls");

  static TrainConfig.Builder small() {
    return TrainConfig.builder()
        .model("complex")
        .dim(32)
        .batchSize(500)
        .chunkSize(50)
        .negatives(64)
        .batchNegatives(50)
        .epochs(1)
        .seed(11);
  }

  static TrainResult train(TripleArrays shard, TrainConfig config) {
    return train(shard, config, TrainHooks.NONE);
  }

  static TrainResult train(TripleArrays shard, TrainConfig config, TrainHooks hooks) {
    ModelParameters start =
        ModelParameters.initialize(config, UMLS.numEntities(), UMLS.numRelations());
    return ShardTrainer.train(shard, start, config, Device.cpu(), hooks);
  }

  @Test
  void sameSeedSameResultOtherSeedOtherResult() {
    TrainConfig config = small().build();
    TrainResult a = train(UMLS.train(), config);
    TrainResult b = train(UMLS.train(), config);
    assertArrayEquals(a.params().entities(), b.params().entities());
    assertArrayEquals(a.params().relations(), b.params().relations());
    assertArrayEquals(a.params().entityAdagrad(), b.params().entityAdagrad());
    assertArrayEquals(a.stats().touchCounts(), b.stats().touchCounts());
    TrainResult c = train(UMLS.train(), small().seed(12).build());
    assertFalse(Arrays.equals(a.params().entities(), c.params().entities()));
    assertEquals(UMLS.train().size(), a.stats().triplesTrained());
    assertEquals(11, a.stats().steps()); // ceil(5216 / 500)
  }

  /**
   * Two trainings in one JVM (two Spark tasks in one executor) run their steps at the same time:
   * both threads wait for each other inside the gradient-recording section of each of their first
   * steps (DJL's one-per-JVM collector would refuse the second, a JVM-wide lock would make the
   * meeting time out), and each still gets exactly the result it gets alone.
   */
  @Test
  void twoThreadsTrainingAtOnceOverlapAndGetExactlyTheirAloneResults() throws Exception {
    int half = UMLS.train().size() / 2;
    int[] first = IntStream.range(0, half).toArray();
    int[] second = IntStream.range(half, UMLS.train().size()).toArray();
    TripleArrays shardA = UMLS.train().select(first);
    TripleArrays shardB = UMLS.train().select(second);
    TrainConfig configA = small().epochs(2).build();
    TrainConfig configB = small().epochs(2).seed(99).model("distmult").build();
    TrainResult aloneA = train(shardA, configA);
    TrainResult aloneB = train(shardB, configB);
    int meetings = 5; // of the 12 steps each training makes
    CyclicBarrier bothInside = new CyclicBarrier(2);
    AtomicInteger met = new AtomicInteger();
    ThreadLocal<int[]> stepsSeen = ThreadLocal.withInitial(() -> new int[1]);
    TrainHooks meet =
        new TrainHooks() {
          @Override
          public void insideAutograd() {
            if (stepsSeen.get()[0]++ < meetings) {
              try {
                bothInside.await(60, TimeUnit.SECONDS);
                met.incrementAndGet();
              } catch (Exception e) {
                throw new IllegalStateException(
                    "the other training never reached its recording section", e);
              }
            }
          }
        };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Callable<TrainResult>> jobs =
          List.of(
              () -> {
                start.await();
                return train(shardA, configA, meet);
              },
              () -> {
                start.await();
                return train(shardB, configB, meet);
              });
      List<Future<TrainResult>> futures = new ArrayList<>();
      for (Callable<TrainResult> job : jobs) futures.add(pool.submit(job));
      start.countDown();
      TrainResult concurrentA = futures.get(0).get();
      TrainResult concurrentB = futures.get(1).get();
      assertEquals(2 * meetings, met.get());
      assertEquals(12, concurrentA.stats().steps());
      assertEquals(12, concurrentB.stats().steps());
      assertArrayEquals(aloneA.params().entities(), concurrentA.params().entities());
      assertArrayEquals(aloneA.params().relations(), concurrentA.params().relations());
      assertArrayEquals(aloneB.params().entities(), concurrentB.params().entities());
      assertArrayEquals(aloneB.params().relations(), concurrentB.params().relations());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void nativeArraysDoNotAccumulateAcrossSteps() {
    List<Integer> live = new ArrayList<>();
    for (String loss : List.of("softmax", "adversarial")) {
      live.clear();
      TrainConfig config =
          small().loss(loss).batchSize(100).epochs(2).regularizer("n3").regWeight(1e-3f).build();
      TrainResult r = train(UMLS.train(), config, TrainerProbe.liveArrayCounts(live));
      assertEquals(r.stats().steps(), live.size());
      assertTrue(live.size() > 100);
      // only the persistent tables (entity + relation values and accumulators) stay alive
      assertEquals(4, live.stream().mapToInt(Integer::intValue).max().getAsInt(), live.toString());
      assertEquals(4, live.stream().mapToInt(Integer::intValue).min().getAsInt(), live.toString());
    }
  }

  @Test
  void onlyTouchedRowsChangeAndTouchCountsAreReported() {
    // 1000 entities, 20 triples among entities 0..39, per-positive uniform negatives (4 each)
    int n = 1000;
    TripleArrays shard =
        new TripleArrays(
            IntStream.range(0, 20).toArray(), new int[20], IntStream.range(20, 40).toArray());
    TrainConfig config =
        TrainConfig.builder()
            .model("distmult")
            .dim(8)
            .batchSize(10)
            .sampler("uniform")
            .negatives(4)
            .batchNegatives(0)
            .epochs(1)
            .seed(5)
            .build();
    ModelParameters start = ModelParameters.initialize(config, n, 1);
    TrainResult r = ShardTrainer.train(shard, start, config, Device.cpu());
    int[] touched = r.stats().touchedEntities();
    assertTrue(
        touched.length >= 40 && touched.length <= 40 + 2 * 10 * 4, "touched " + touched.length);
    for (int e = 0; e < 40; e++) assertTrue(Arrays.binarySearch(touched, e) >= 0, "entity " + e);
    for (int e = 0; e < n; e++) {
      float[] before = start.entityRow(e);
      float[] after = r.params().entityRow(e);
      if (Arrays.binarySearch(touched, e) < 0) {
        assertArrayEquals(before, after, "untouched row " + e + " must not change");
        assertEquals(0f, r.params().entityAdagrad()[e]);
      } else if (e < 40) {
        assertFalse(Arrays.equals(before, after), "positive row " + e + " must change");
      }
    }
    for (int i = 0; i < touched.length; i++) {
      int count = r.stats().touchCounts()[i];
      assertTrue(count >= 1 && count <= 2, "each row is in at most the 2 steps");
    }
  }

  @Test
  void everyLossSamplerAndRegularizerLearns() {
    for (String sampler : List.of("chunked", "uniform")) {
      for (String loss : List.of("softmax", "margin", "logistic", "adversarial")) {
        TrainConfig.Builder b =
            small()
                .sampler(sampler)
                .loss(loss)
                .epochs(4)
                .negatives("uniform".equals(sampler) ? 8 : 64)
                .batchNegatives("uniform".equals(sampler) ? 2 : 50)
                .regularizer("softmax".equals(loss) ? "n3" : "l2")
                .regWeight(1e-4f);
        if (!"softmax".equals(loss)) b.margin(2f);
        TrainResult r = train(UMLS.train(), b.build());
        double[] epochs = r.stats().epochMeanLoss();
        assertTrue(
            epochs[3] < epochs[0],
            sampler + "/" + loss + " loss should fall: " + Arrays.toString(epochs));
      }
    }
  }

  @Test
  void removedAccidentalHitsLeaveNoLossAndNoGradient() {
    // One entity: every sampled negative is the positive's own answer, in both directions.
    TripleArrays selfLoop = new TripleArrays(new int[] {0}, new int[] {0}, new int[] {0});
    TrainConfig.Builder b =
        TrainConfig.builder()
            .model("complex")
            .dim(8)
            .batchSize(1)
            .chunkSize(1)
            .negatives(10)
            .batchNegatives(1)
            .epochs(1)
            .seed(3);
    ModelParameters start = ModelParameters.initialize(b.build(), 1, 1);
    // kept: the 10 uniform copies of the positive score (the batch negative is its own triple,
    // always
    // masked), so each direction's softmax loss is log(1 + 10)
    TrainResult kept =
        ShardTrainer.train(selfLoop, start, b.removeAccidentalHits(false).build(), Device.cpu());
    assertEquals(2 * Math.log(11), kept.stats().firstStepLoss(), 1e-4);
    assertFalse(Arrays.equals(start.entities(), kept.params().entities()));
    TrainResult removed =
        ShardTrainer.train(selfLoop, start, b.removeAccidentalHits(true).build(), Device.cpu());
    assertEquals(0, removed.stats().firstStepLoss(), 1e-6);
    assertArrayEquals(start.entities(), removed.params().entities());
    assertArrayEquals(start.relations(), removed.params().relations());
  }

  @Test
  void largeChunksScoreGatheredCandidatesAsConcatenatedScoresWould() {
    // chunk 100 > dim 32: one candidate block per direction; the other path concatenates scores
    for (boolean removeHits : new boolean[] {true, false}) {
      TrainConfig config =
          small()
              .chunkSize(100)
              .batchNegatives(20)
              .epochs(2)
              .removeAccidentalHits(removeHits)
              .build();
      TrainResult gathered = train(UMLS.train(), config);
      TrainResult concatenated =
          train(
              UMLS.train(),
              config,
              new TrainHooks() {
                @Override
                public boolean concatenateScores() {
                  return true;
                }
              });
      assertEquals(concatenated.stats().firstStepLoss(), gathered.stats().firstStepLoss(), 1e-5);
      assertArrayEquals(
          concatenated.stats().epochMeanLoss(), gathered.stats().epochMeanLoss(), 1e-4);
      float[] a = concatenated.params().entities();
      float[] b = gathered.params().entities();
      for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4, "entity value " + i);
    }
  }

  @Test
  void maxStepsStopsEarlyAndMismatchesAreRejected() {
    TrainResult r = train(UMLS.train(), small().maxSteps(3).epochs(5).build());
    assertEquals(3, r.stats().steps());
    assertEquals(1500, r.stats().triplesTrained());
    ModelParameters start =
        ModelParameters.initialize(small().build(), UMLS.numEntities(), UMLS.numRelations());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ShardTrainer.train(
                UMLS.train(), start, small().model("distmult").build(), Device.cpu()));
    TripleArrays bad =
        new TripleArrays(new int[] {0}, new int[] {0}, new int[] {UMLS.numEntities()});
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ShardTrainer.train(bad, start, small().build(), Device.cpu()));
    assertTrue(e.getMessage().contains("entity id outside"), e.getMessage());
  }

  /**
   * Ten UMLS entities lose their trained rows (fresh random ones instead, as a placed entity starts
   * from an estimate); fitting only those rows on their training triples, everything else frozen,
   * brings their held-out test triples back near the fully trained ranking, while every other
   * entity row, every relation and the frozen rows' Adagrad state stay bit for bit as they were.
   */
  @Test
  void fitEntitiesTrainsOnlyTheMarkedRowsAndRecoversTheirRanks() {
    TrainConfig config = small().epochs(20).build();
    ModelParameters trained = train(UMLS.train(), config).params();
    int[] degree = new int[UMLS.numEntities()];
    for (int i = 0; i < UMLS.train().size(); i++) {
      degree[UMLS.train().heads()[i]]++;
      degree[UMLS.train().tails()[i]]++;
    }
    // ten entities of middling degree: enough edges to fit, not the hubs every query scores
    Integer[] byDegree = new Integer[degree.length];
    for (int i = 0; i < byDegree.length; i++) byDegree[i] = i;
    Arrays.sort(
        byDegree, (a, b) -> degree[a] != degree[b] ? Integer.compare(degree[a], degree[b]) : a - b);
    boolean[] held = new boolean[degree.length];
    for (int i = 0; i < 10; i++) held[byDegree[degree.length / 2 + i]] = true;

    ModelParameters fresh =
        ModelParameters.initialize(
            config.toBuilder().seed(99).build(), UMLS.numEntities(), UMLS.numRelations());
    float[] rows = trained.entities().clone();
    float[] adagrad = trained.entityAdagrad().clone();
    for (int e = 0; e < held.length; e++) {
      if (held[e]) {
        System.arraycopy(fresh.entities(), e * config.dim(), rows, e * config.dim(), config.dim());
        adagrad[e] = 0;
      }
    }
    ModelParameters start =
        new ModelParameters(
            trained.model(),
            trained.numEntities(),
            trained.numRelations(),
            trained.dim(),
            trained.relationDim(),
            rows,
            trained.relations(),
            adagrad,
            trained.relationAdagrad(),
            List.of());
    TripleArrays edges = touching(UMLS.train(), held);
    TrainResult fit =
        ShardTrainer.fitEntities(
            edges, null, start, held, config.toBuilder().epochs(30).build(), Device.cpu());

    assertArrayEquals(start.relations(), fit.params().relations(), "relations are frozen");
    assertArrayEquals(start.relationAdagrad(), fit.params().relationAdagrad());
    for (int e = 0; e < held.length; e++) {
      if (held[e]) {
        assertFalse(
            Arrays.equals(start.entityRow(e), fit.params().entityRow(e)), "fitted row " + e);
      } else {
        assertArrayEquals(start.entityRow(e), fit.params().entityRow(e), "frozen row " + e);
        assertEquals(start.entityAdagrad()[e], fit.params().entityAdagrad()[e]);
      }
    }
    TripleArrays test = touching(UMLS.test(), held);
    TripleArrays known = TripleArrays.concat(UMLS.train(), UMLS.valid(), UMLS.test());
    double before = mrr(start, test, known);
    double after = mrr(fit.params(), test, known);
    double full = mrr(trained, test, known);
    System.out.printf(
        "fitEntities: %d test triples touching 10 refitted entities: MRR random rows %.4f, "
            + "fitted %.4f, trained with everything %.4f%n",
        test.size(), before, after, full);
    assertTrue(test.size() >= 20, "test triples touching the held entities: " + test.size());
    assertTrue(
        after > before + 0.2, "fitting must recover the ranking: " + before + " -> " + after);
    assertTrue(after > 0.8 * full, "fitted " + after + " against fully trained " + full);
  }

  private static TripleArrays touching(TripleArrays triples, boolean[] entities) {
    int[] positions =
        IntStream.range(0, triples.size())
            .filter(i -> entities[triples.heads()[i]] || entities[triples.tails()[i]])
            .toArray();
    return triples.select(positions);
  }

  private static double mrr(ModelParameters params, TripleArrays test, TripleArrays known) {
    return LinkPredictionEvaluator.evaluate(params, test, known, 0, 256, 1, Device.cpu())
        .realistic()
        .mrr();
  }
}
