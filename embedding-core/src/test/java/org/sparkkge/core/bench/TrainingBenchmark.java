package org.sparkkge.core.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.data.KgDataset;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;
import org.sparkkge.core.train.Losses;
import org.sparkkge.core.train.ShardTrainer;

/**
 * Training throughput benchmark (not a test). Runs, in one process, the PyTorch-BigGraph FB15k-237
 * set-up (ComplEx d=200, 1,000 uniform + 50 batch negatives in chunks of 50, softmax loss, Adagrad
 * lr 0.1, batch 1,000) at the real entity count and with the same triples in a 1M-entity table (the
 * step-time ratio shows that updates are sparse), then the other models, then optionally an
 * epoch-limited quality run. Prints load average beside every figure.
 *
 * <p>Arguments (key=value): data=PATH (FB15k-237 folder), steps=40, threads=1, models=...,
 * large=1000000, chunkSize=50 (positives sharing one set of uniform negatives; the negatives per
 * positive stay 1,000 + 50; another size is also run at 50 in the same process, as the baseline of
 * its ratio), batchSize=1000, softmaxMargin=0, removeAccidentalHits=true, trainers=1 (more: also
 * train that many disjoint slices of the triples at once in this JVM, as that many Spark tasks of
 * one executor do, each with threads= libtorch threads, and print their summed rate), epochs=0
 * (quality run epochs; 0 = skip), qualityModel=complex, lr=0.1, initScale=0.1 (quality run).
 */
public final class TrainingBenchmark {
  /**
   * The peer on this machine (issue 3): PyTorch-BigGraph 1.0.1, ComplEx d=200, FB15k-237, 2
   * workers.
   */
  private static final double PBG_COMPLEX_TRIPLES_PER_SECOND = 2_800;

  /** PyTorch-BigGraph shares uniform negatives within chunks of its 50 batch negatives. */
  private static final int PBG_CHUNK_SIZE = 50;

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("data", "../shared/datasets/fb15k-237");
    a.put("steps", "40");
    a.put("threads", "1");
    a.put("models", "complex,distmult,transe_l2,transe_l1,rotate");
    a.put("large", "1000000");
    a.put("chunkSize", "50");
    a.put("batchSize", "1000");
    a.put("softmaxMargin", "0");
    a.put("removeAccidentalHits", "true");
    a.put("trainers", "1");
    a.put("epochs", "0");
    a.put("qualityModel", "complex");
    a.put("lr", "0.1");
    a.put("initScale", "0.1");
    a = BenchArgs.parse(a, args);
    KgDataset ds = KgDataset.load(Path.of(a.get("data")));
    int steps = Integer.parseInt(a.get("steps"));
    int threads = Integer.parseInt(a.get("threads"));
    int large = Integer.parseInt(a.get("large"));
    System.out.printf(
        "FB15k-237: %d entities, %d relations, %d train triples; libtorch threads %d; chunk size %s%n",
        ds.numEntities(), ds.numRelations(), ds.train().size(), threads, a.get("chunkSize"));
    for (String model : a.get("models").split(",")) {
      boolean broadcast = model.equals("transe_l1") || model.equals("rotate");
      TrainConfig config =
          TrainConfig.builder()
              .model(model)
              .dim(200)
              .batchSize(Integer.parseInt(a.get("batchSize")))
              .chunkSize(Integer.parseInt(a.get("chunkSize")))
              .negatives(broadcast ? 100 : 1000)
              .batchNegatives(50)
              .loss("softmax")
              .softmaxMargin(Float.parseFloat(a.get("softmaxMargin")))
              .removeAccidentalHits(Boolean.parseBoolean(a.get("removeAccidentalHits")))
              .lr(Float.parseFloat(a.get("lr")))
              .maxSteps(steps)
              .threads(threads)
              .seed(1)
              .build();
      // warm-up (JIT, native allocator), not reported
      run(ds.train(), config.toBuilder().maxSteps(3).build(), ds.numEntities(), ds.numRelations());
      TrainResult small = run(ds.train(), config, ds.numEntities(), ds.numRelations());
      String loadSmall = BenchArgs.loadAverage();
      TrainResult big = run(ds.train(), config, large, ds.numRelations());
      String loadBig = BenchArgs.loadAverage();
      double perStep = config.batchSize() * 1e3; // triples per step x ms per second
      double ratio = big.stats().meanStepMillis() / small.stats().meanStepMillis();
      double cpuRatio = big.stats().meanStepCpuMillis() / small.stats().meanStepCpuMillis();
      System.out.printf(
          Locale.ROOT,
          "%-9s negatives %d+50, %,d entities: wall %.1f ms/step = %,.0f triples/s [load %s];"
              + " CPU %.1f ms/step = %,.0f triples per CPU-second%n",
          model,
          config.negatives(),
          ds.numEntities(),
          small.stats().meanStepMillis(),
          perStep / small.stats().meanStepMillis(),
          loadSmall,
          small.stats().meanStepCpuMillis(),
          perStep / small.stats().meanStepCpuMillis());
      System.out.printf(
          Locale.ROOT,
          "%-9s negatives %d+50, %,d entities: wall %.1f ms/step = %,.0f triples/s [load %s];"
              + " CPU %.1f ms/step = %,.0f triples per CPU-second%n",
          model,
          config.negatives(),
          large,
          big.stats().meanStepMillis(),
          perStep / big.stats().meanStepMillis(),
          loadBig,
          big.stats().meanStepCpuMillis(),
          perStep / big.stats().meanStepCpuMillis());
      System.out.printf(
          Locale.ROOT,
          "          %,d / %,d entities step-time ratio: wall %.2f, CPU %.2f | peak RSS %d MiB%n",
          large,
          ds.numEntities(),
          ratio,
          cpuRatio,
          peakRssMiB());
      if (model.startsWith("complex")) {
        System.out.printf(
            Locale.ROOT,
            "          wall throughput = %.1fx PyTorch-BigGraph's %,.0f triples/s (ComplEx,"
                + " same negatives, 2 workers, measured on this machine)%n",
            perStep / small.stats().meanStepMillis() / PBG_COMPLEX_TRIPLES_PER_SECOND,
            PBG_COMPLEX_TRIPLES_PER_SECOND);
      }
      if (config.chunkSize() != PBG_CHUNK_SIZE) {
        // the same step with PyTorch-BigGraph's chunk size, as the in-run baseline of the
        // chunk-size gain
        TrainResult baseline =
            run(
                ds.train(),
                config.toBuilder().chunkSize(PBG_CHUNK_SIZE).build(),
                ds.numEntities(),
                ds.numRelations());
        System.out.printf(
            Locale.ROOT,
            "          chunks of %d: wall %.1f ms/step, CPU %.1f ms/step [load %s] ->"
                + " chunks of %d are x%.2f wall, x%.2f CPU faster%n",
            PBG_CHUNK_SIZE,
            baseline.stats().meanStepMillis(),
            baseline.stats().meanStepCpuMillis(),
            BenchArgs.loadAverage(),
            config.chunkSize(),
            baseline.stats().meanStepMillis() / small.stats().meanStepMillis(),
            baseline.stats().meanStepCpuMillis() / small.stats().meanStepCpuMillis());
      }
      double[] floor = computeFloorMillis(config, steps);
      System.out.printf(
          Locale.ROOT,
          "          compute floor (same scoring+loss+backward on pre-gathered leaves, no"
              + " sampling/gather/update): wall %.1f ms, CPU %.1f ms/step [load %s] -> trainer CPU overhead x%.2f%n",
          floor[0],
          floor[1],
          BenchArgs.loadAverage(),
          small.stats().meanStepCpuMillis() / floor[1]);
      int trainers = Integer.parseInt(a.get("trainers"));
      if (trainers > 1) {
        concurrentTrainers(ds, config, trainers);
      }
      long[] ph = small.stats().phaseNanos();
      double s = small.stats().steps() * 1e6;
      System.out.printf(
          Locale.ROOT,
          "          per step at %,d entities: sampling %.1f ms, gather+forward %.1f ms,"
              + " backward %.1f ms, update %.1f ms%n",
          ds.numEntities(),
          ph[0] / s,
          ph[1] / s,
          ph[2] / s,
          ph[3] / s);
    }
    int epochs = Integer.parseInt(a.get("epochs"));
    if (epochs > 0) {
      TrainConfig config =
          TrainConfig.builder()
              .model(a.get("qualityModel"))
              .dim(200)
              .batchSize(1000)
              .chunkSize(50)
              .negatives(1000)
              .batchNegatives(50)
              .loss("softmax")
              .lr(Float.parseFloat(a.get("lr")))
              .initScale(Float.parseFloat(a.get("initScale")))
              .epochs(1)
              .threads(threads)
              .seed(1)
              .build();
      ModelParameters params =
          ModelParameters.initialize(config, ds.numEntities(), ds.numRelations());
      TripleArrays known = TripleArrays.concat(ds.train(), ds.valid(), ds.test());
      double trainSeconds = 0;
      for (int epoch = 1; epoch <= epochs; epoch++) {
        TrainResult r =
            ShardTrainer.train(
                ds.train(), params, config.toBuilder().seed(epoch).build(), Device.cpu());
        params = r.params();
        trainSeconds += r.stats().wallNanos() / 1e9;
        System.out.printf(
            Locale.ROOT,
            "epoch %d: %.1f s, %,.0f triples/s, mean loss %.4f [load %s]%n",
            epoch,
            r.stats().wallNanos() / 1e9,
            r.stats().triplesPerSecond(),
            r.stats().epochMeanLoss()[0],
            BenchArgs.loadAverage());
        if (epoch == epochs || epoch % 7 == 0) {
          long t0 = System.nanoTime();
          EvaluationResult eval =
              LinkPredictionEvaluator.evaluate(params, ds.test(), known, 0, 512, 1, Device.cpu());
          System.out.printf(
              Locale.ROOT,
              "after %d epochs (%.0f s training): %s (eval %.1f s)%n",
              epoch,
              trainSeconds,
              eval,
              (System.nanoTime() - t0) / 1e9);
        }
      }
    }
    System.out.printf("peak RSS %d MiB%n", peakRssMiB());
  }

  /**
   * Trains {@code trainers} disjoint slices of the triples at once, one thread each (Spark's tasks
   * of one executor), each from its own copy of the parameters, and prints each one's rate and
   * their sum. The sum is over the steps' wall time, which all trainings spend at the same time;
   * the rate over the whole section (start-up and the parameter copies included) is printed beside
   * it.
   */
  private static void concurrentTrainers(KgDataset ds, TrainConfig config, int trainers)
      throws Exception {
    List<Callable<TrainResult>> jobs = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int i = 0; i < trainers; i++) {
      TripleArrays slice = BenchArgs.slice(ds.train(), i, trainers);
      TrainConfig sliceConfig = config.toBuilder().seed(config.seed() + i).build();
      jobs.add(
          () -> {
            start.await();
            return run(slice, sliceConfig, ds.numEntities(), ds.numRelations());
          });
    }
    ExecutorService pool = Executors.newFixedThreadPool(trainers);
    try {
      List<Future<TrainResult>> futures = new ArrayList<>();
      for (var job : jobs) futures.add(pool.submit(job));
      long began = System.nanoTime();
      start.countDown();
      double sum = 0;
      long triples = 0;
      StringBuilder each = new StringBuilder();
      for (var future : futures) {
        TrainResult r = future.get();
        double rate = config.batchSize() * 1e3 / r.stats().meanStepMillis();
        sum += rate;
        triples += r.stats().triplesTrained();
        each.append(
            String.format(
                Locale.ROOT, " %.1f ms/step (%,.0f/s);", r.stats().meanStepMillis(), rate));
      }
      double section = triples / ((System.nanoTime() - began) / 1e9);
      System.out.printf(
          Locale.ROOT,
          "          %d trainings at once, %d libtorch thread(s) each:%s sum %,.0f triples/s"
              + " = %.1fx PyTorch-BigGraph (whole section incl. start-up: %,.0f/s) [load %s]%n",
          trainers,
          config.threads(),
          each,
          sum,
          sum / PBG_COMPLEX_TRIPLES_PER_SECOND,
          section,
          BenchArgs.loadAverage());
    } finally {
      pool.shutdownNow();
    }
  }

  /** In-process baseline: one step's scoring, loss and backward on dense leaves, nothing else. */
  private static double[] computeFloorMillis(TrainConfig config, int steps) {
    ScoringModel model = ScoringModels.byName(config.model());
    int k = config.batchSize() / config.chunkSize();
    int c = config.chunkSize();
    int d = config.dim();
    int m = config.negatives() + config.batchNegatives();
    long total = 0;
    long cpu = 0;
    var threadTimes = ManagementFactory.getThreadMXBean();
    try (NDManager manager = NDManager.newBaseManager()) {
      JniUtils.setGradMode(false);
      for (int i = 0; i < steps + 2; i++) {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          NDArray h = manager.randomUniform(-0.1f, 0.1f, new Shape(k, c, d));
          NDArray r = manager.randomUniform(-0.1f, 0.1f, new Shape(k, c, model.relationWidth(d)));
          NDArray t = manager.randomUniform(-0.1f, 0.1f, new Shape(k, c, d));
          NDArray neg = manager.randomUniform(-0.1f, 0.1f, new Shape(k, m, d));
          NDArray w = manager.ones(new Shape(k, c));
          long t0 = System.nanoTime();
          long c0 = threadTimes.getCurrentThreadCpuTime();
          for (NDArray x : new NDArray[] {h, r, t, neg}) x.setRequiresGradient(true);
          try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
            NDArray pos = model.score(h, r, t);
            NDArray loss =
                Losses.loss(config, pos, model.scoreTails(h, r, neg), w)
                    .add(Losses.loss(config, pos, model.scoreHeads(r, t, neg), w));
            gc.backward(loss);
          }
          if (i >= 2) {
            total += System.nanoTime() - t0;
            cpu += threadTimes.getCurrentThreadCpuTime() - c0;
          }
        }
      }
    }
    return new double[] {total / 1e6 / steps, cpu / 1e6 / steps};
  }

  private static TrainResult run(
      TripleArrays triples, TrainConfig config, int entities, int relations) {
    ModelParameters start = ModelParameters.initialize(config, entities, relations);
    return ShardTrainer.train(triples, start, config, Device.cpu());
  }

  private static long peakRssMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }
}
