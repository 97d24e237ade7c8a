package org.sparkkge.core.bench;

import ai.djl.Device;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.data.KgDataset;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.core.train.ShardTrainer;

/**
 * Single-process quality benchmark (not a test): trains the {@code train} block of a spark-kge
 * configuration file on a benchmark folder epoch by epoch within a wall-clock budget, ranks the
 * validation split every few epochs, and reports the filtered test metrics of the epoch with the
 * best validation MRR (early stopping on valid, never on test). The budget covers everything after
 * loading the data: training and every evaluation.
 *
 * <p>Arguments (key=value): conf=FILE (required; its train.* keys, distributed-only keys ignored),
 * data=FOLDER (default: the folder of the conf's input.train), minutes=60, eval-every=5 (epochs),
 * max-epochs=0 (0 = until the budget or train.epochs runs out: train.epochs is the cap when set
 * above 1), device=cpu (or gpu0, gpu1, ...: training and ranking on that device), and
 * train.KEY=VALUE overrides.
 */
public final class QualityBenchmark {
  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("conf", "");
    a.put("data", "");
    a.put("minutes", "60");
    a.put("eval-every", "5");
    a.put("device", "cpu");
    Map<String, String> overrides = new LinkedHashMap<>();
    for (String arg : args) {
      String[] kv = arg.split("=", 2);
      if (kv.length == 2 && kv[0].startsWith("train.")) {
        overrides.put(kv[0].substring(6), kv[1]);
      } else if (kv.length == 2 && a.containsKey(kv[0])) {
        a.put(kv[0], kv[1]);
      } else {
        throw new IllegalArgumentException(
            "bad argument '"
                + arg
                + "', expected key=value with key in "
                + a.keySet()
                + " or train.KEY");
      }
    }
    if (a.get("conf").isEmpty()) throw new IllegalArgumentException("conf=FILE is required");
    Device device = Device.fromName(a.get("device").replace("(", "").replace(")", ""));
    Path confFile = Path.of(a.get("conf"));
    Config conf =
        ConfigFactory.parseFile(
                confFile.toFile(), ConfigParseOptions.defaults().setAllowMissing(false))
            .resolve();
    Map<String, String> values = new LinkedHashMap<>();
    if (conf.hasPath("train")) {
      Config t = conf.getConfig("train");
      for (String key : TrainConfig.KEYS.keySet()) {
        if (t.hasPath(key) && !key.equals("max-steps"))
          values.put(key, String.valueOf(t.getAnyRef(key)));
      }
    }
    values.putAll(overrides);
    TrainConfig config = TrainConfig.fromMap(values);
    Path data =
        a.get("data").isEmpty()
            ? Path.of(conf.getString("input.train")).getParent()
            : Path.of(a.get("data"));
    long budgetNanos = (long) (Double.parseDouble(a.get("minutes")) * 60e9);
    int evalEvery = Integer.parseInt(a.get("eval-every"));
    int maxEpochs = config.epochs() > 1 ? config.epochs() : Integer.MAX_VALUE;

    KgDataset ds = KgDataset.load(data);
    TripleArrays known = TripleArrays.concat(ds.train(), ds.valid(), ds.test());
    System.out.printf(
        Locale.ROOT,
        "%s: %,d entities, %d relations, %,d / %,d / %,d triples; budget %s min; %s%n",
        data,
        ds.numEntities(),
        ds.numRelations(),
        ds.train().size(),
        ds.valid().size(),
        ds.test().size(),
        a.get("minutes"),
        config);
    System.out.println("uptime: " + Files.readString(Path.of("/proc/loadavg")).trim());
    long began = System.nanoTime();
    ModelParameters params =
        ModelParameters.initialize(config, ds.numEntities(), ds.numRelations());
    ModelParameters best = params;
    double bestValid = -1;
    int bestEpoch = 0;
    double slowestEpoch = 0;
    double slowestEval = 0;
    int epoch = 0;
    while (epoch < maxEpochs) {
      double elapsed = System.nanoTime() - began;
      // stop while the next epoch and its evaluation still fit in the budget
      if (elapsed + slowestEpoch + slowestEval > budgetNanos) break;
      epoch++;
      long t0 = System.nanoTime();
      TrainResult r =
          ShardTrainer.train(
              ds.train(),
              params,
              config.toBuilder().epochs(1).seed(config.seed() * 1_000_003L + epoch).build(),
              device);
      params = r.params();
      slowestEpoch = Math.max(slowestEpoch, System.nanoTime() - t0);
      System.out.printf(
          Locale.ROOT,
          "epoch %d: %.1f s, %,.0f triples/s, mean loss %.4f [load %s]%n",
          epoch,
          r.stats().wallNanos() / 1e9,
          r.stats().triplesPerSecond(),
          r.stats().epochMeanLoss()[0],
          BenchArgs.loadAverage());
      if (epoch % evalEvery == 0) {
        long e0 = System.nanoTime();
        EvaluationResult valid =
            LinkPredictionEvaluator.evaluate(params, ds.valid(), known, 0, 512, 1, device);
        slowestEval = Math.max(slowestEval, System.nanoTime() - e0);
        double mrr = valid.realistic().mrr();
        if (mrr > bestValid) {
          bestValid = mrr;
          best = params;
          bestEpoch = epoch;
        }
        System.out.printf(
            Locale.ROOT,
            "  valid after %d epochs (%.0f s elapsed): filtered MRR %.4f%s%n",
            epoch,
            (System.nanoTime() - began) / 1e9,
            mrr,
            bestEpoch == epoch ? " (best)" : "");
      }
    }
    if (bestEpoch == 0) {
      best = params;
      bestEpoch = epoch;
    }
    EvaluationResult test =
        LinkPredictionEvaluator.evaluate(best, ds.test(), known, 0, 512, 1, device);
    System.out.printf(
        Locale.ROOT,
        "RESULT %s on %s: %d epochs in %.0f s (budget %s min); best valid MRR %.4f at epoch %d;"
            + " test %s [load %s]%n",
        confFile,
        device,
        epoch,
        (System.nanoTime() - began) / 1e9,
        a.get("minutes"),
        bestValid,
        bestEpoch,
        test,
        BenchArgs.loadAverage());
  }
}
