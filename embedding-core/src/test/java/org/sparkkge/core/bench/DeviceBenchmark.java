package org.sparkkge.core.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.data.KgDataset;
import org.sparkkge.core.train.ShardTrainer;

/**
 * Trainer throughput per device on FB15k-237, one table: ComplEx d200 with PyTorch-BigGraph's
 * negatives (1,000 uniform in chunks of 50, plus 50 from the batch) at batch 1,000, then the large
 * batches a GPU needs (10,000 in chunks of 1,000; 50,000 with 4,000 negatives in chunks of 5,000),
 * on the CPU and on every GPU libtorch sees (or the devices given). The ratio column compares each
 * row with the CPU at PyTorch-BigGraph's set-up in the same run; the last column with
 * PyTorch-BigGraph's own 2,800 triples/s on the 2-core development machine.
 *
 * <p>Arguments (key=value): data=PATH (FB15k-237 folder), devices=cpu,gpu0,... (default: cpu and
 * every GPU), steps=20 (timed, after 3 warm-up steps), threads=0 (libtorch threads; 0 = cores).
 */
public final class DeviceBenchmark {
  private static final double PBG_TRIPLES_PER_SECOND = 2_800;

  record Setting(String name, int batch, int chunk, int negatives) {}

  private static final List<Setting> SETTINGS =
      List.of(
          new Setting("PyTorch-BigGraph set-up", 1_000, 50, 1_000),
          new Setting("large batch", 10_000, 1_000, 1_000),
          new Setting("larger batch, more negatives", 50_000, 5_000, 4_000));

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("data", "../shared/datasets/fb15k-237");
    a.put("devices", "");
    a.put("steps", "20");
    a.put("threads", "0");
    a = BenchArgs.parse(a, args);
    KgDataset ds = KgDataset.load(Path.of(a.get("data")));
    int steps = Integer.parseInt(a.get("steps"));
    int threads = Integer.parseInt(a.get("threads"));
    if (threads <= 0) {
      threads = Runtime.getRuntime().availableProcessors();
    }
    List<Device> devices = new ArrayList<>();
    if (a.get("devices").isBlank()) {
      devices.add(Device.cpu());
      Engine engine = Engine.getEngine("PyTorch");
      int gpus = engine.hasCapability(StandardCapabilities.CUDA) ? engine.getGpuCount() : 0;
      for (int i = 0; i < gpus; i++) {
        devices.add(Device.gpu(i));
      }
    } else {
      for (String name : a.get("devices").split(",")) {
        devices.add(Device.fromName(name.strip().replace("(", "").replace(")", "")));
      }
    }
    System.out.printf(
        Locale.ROOT,
        "FB15k-237 (%,d train triples), ComplEx d200, softmax loss, %d libtorch threads, %d timed"
            + " steps; libtorch %s%n",
        ds.train().size(),
        threads,
        steps,
        Engine.getEngine("PyTorch").getVersion());
    System.out.printf(
        Locale.ROOT,
        "%-8s %-30s %7s %6s %10s %10s %12s %9s %8s%n",
        "device",
        "setting",
        "batch",
        "chunk",
        "negatives",
        "ms/step",
        "triples/s",
        "x CPU PBG",
        "x PBG");
    double baseline = Double.NaN;
    for (Device device : devices) {
      for (Setting s : SETTINGS) {
        if (device.equals(Device.cpu()) && s.batch() > 10_000) {
          continue; // minutes per step on a few cores, and not what a CPU is run with
        }
        TrainConfig config =
            TrainConfig.builder()
                .model("complex")
                .dim(200)
                .batchSize(s.batch())
                .chunkSize(s.chunk())
                .negatives(s.negatives())
                .batchNegatives(50)
                .loss("softmax")
                .lr(0.1f)
                .threads(threads)
                .seed(1)
                .build();
        String rate;
        String ms;
        String ratio;
        String pbg;
        try {
          train(ds, config.toBuilder().maxSteps(3).build(), device); // warm-up, not reported
          TrainResult r = train(ds, config.toBuilder().maxSteps(steps).build(), device);
          double perSecond = s.batch() * 1e3 / r.stats().meanStepMillis();
          if (device.equals(Device.cpu()) && s.batch() == 1_000) {
            baseline = perSecond;
          }
          ms = String.format(Locale.ROOT, "%.1f", r.stats().meanStepMillis());
          rate = String.format(Locale.ROOT, "%,.0f", perSecond);
          ratio = String.format(Locale.ROOT, "%.1f", perSecond / baseline);
          pbg = String.format(Locale.ROOT, "%.1f", perSecond / PBG_TRIPLES_PER_SECOND);
        } catch (RuntimeException e) {
          ms = "failed";
          rate = e.getClass().getSimpleName();
          ratio = "";
          pbg = "";
        }
        System.out.printf(
            Locale.ROOT,
            "%-8s %-30s %,7d %,6d %10s %10s %12s %9s %8s%n",
            device,
            s.name(),
            s.batch(),
            s.chunk(),
            s.negatives() + "+50",
            ms,
            rate,
            ratio,
            pbg);
      }
    }
  }

  private static TrainResult train(KgDataset ds, TrainConfig config, Device device) {
    ModelParameters start = ModelParameters.initialize(config, ds.numEntities(), ds.numRelations());
    return ShardTrainer.train(ds.train(), start, config, device);
  }
}
