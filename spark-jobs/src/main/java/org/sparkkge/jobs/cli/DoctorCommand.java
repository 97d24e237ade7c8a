package org.sparkkge.jobs.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.cuda.CudaUtils;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TrainConfig;
import org.sparkkge.core.TrainResult;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.train.ShardTrainer;
import org.sparkkge.jobs.Devices;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.config.ConfigLoader;
import org.sparkkge.jobs.progress.Streams;
import org.sparkkge.jobs.train.TrainOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spark-kge doctor}: what a node's training tasks would get from DJL (engine, libtorch
 * version and folder, CUDA, GPUs), checked against the GPUs the node has (nvidia-smi) or is
 * expected to have, and a few timed training steps of the configured model on every device. Exit
 * code 0 when everything agrees and trains, 1 otherwise: usable as a Kubernetes init container or a
 * YARN node health check (docs/gpu.md). No Spark.
 */
@Command(
    name = "doctor",
    sortOptions = false,
    description = {
      "Check this node's training devices without Spark: the PyTorch engine DJL loads, its libtorch and CUDA, "
          + "the GPUs it sees against those nvidia-smi lists, and a few timed training steps on the CPU and "
          + "on every GPU. Exit code 1 on a mismatch or a failed step."
    })
public final class DoctorCommand implements Callable<Integer> {
  private static final int ENTITIES = 10_000;
  private static final int RELATIONS = 50;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Configuration whose train.* settings (model, dim, batch, negatives) are timed.")
  File config;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one configuration value (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--expect-gpus",
      paramLabel = "N",
      defaultValue = "-1",
      description =
          "GPUs libtorch must see (default: as many as nvidia-smi lists, none without nvidia-smi).")
  int expectGpus;

  @Option(
      names = "--steps",
      paramLabel = "N",
      defaultValue = "10",
      description = "Training steps timed per device, after one warm-up step (default: 10).")
  int steps;

  @Option(
      names = "--nvidia-smi",
      paramLabel = "PATH",
      defaultValue = "nvidia-smi",
      description = "The nvidia-smi that lists the node's GPUs (default: nvidia-smi on the PATH).")
  String nvidiaSmi;

  private final Streams streams;

  public DoctorCommand(Streams streams) {
    this.streams = streams;
  }

  public static CommandLine commandLine(Streams streams) {
    return new CommandLine(new DoctorCommand(streams));
  }

  @Override
  public Integer call() {
    TrainConfig train;
    try {
      if (steps < 1) {
        throw new UsageException("--steps must be at least 1, got " + steps);
      }
      train = TrainOptions.from(ConfigLoader.load(config, overrides)).core();
    } catch (UsageException e) {
      streams.err().println("spark-kge: " + e.getMessage());
      return 2;
    }
    List<String> problems = new ArrayList<>();
    Engine engine;
    try {
      engine = Engine.getEngine("PyTorch");
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      streams.err().println("doctor: the PyTorch engine did not load: " + e);
      streams.err().println("doctor: " + hint());
      return 1;
    }
    String version = engine.getVersion();
    boolean cuda = engine.hasCapability(StandardCapabilities.CUDA);
    int gpus = Devices.visibleGpus(engine);
    String library = System.getenv("PYTORCH_LIBRARY_PATH");
    print(
        "engine", engine.getEngineName() + " " + version + " (DJL " + Engine.getDjlVersion() + ")");
    print("libtorch", LibUtils.getLibtorchPath());
    print(
        "PYTORCH_LIBRARY_PATH",
        library == null || library.isBlank()
            ? "not set (the CPU libtorch of the application jar)"
            : library);
    print("cuda", cuda ? "yes, CUDA " + cudaVersion() : "no");
    print("gpus seen by libtorch", String.valueOf(gpus));
    Optional<Integer> listed = nvidiaSmiGpus(nvidiaSmi);
    print(
        "gpus listed by nvidia-smi",
        listed.map(String::valueOf).orElse("none (nvidia-smi not found or failed)"));
    int expected = expectGpus >= 0 ? expectGpus : listed.orElse(0);
    if (gpus < expected) {
      problems.add(
          String.format(
              Locale.ROOT,
              "libtorch %s sees %d GPU(s), %s %d: %s",
              version,
              gpus,
              expectGpus >= 0 ? "--expect-gpus is" : "nvidia-smi lists",
              expected,
              cuda ? "CUDA_VISIBLE_DEVICES or the container's device mapping hides some" : hint()));
    }

    streams
        .out()
        .printf(
            Locale.ROOT,
            "training steps: %s dim %d, batch %d, %d negatives, %d entities, %d timed steps%n",
            train.model(),
            train.dim(),
            train.batchSize(),
            train.negatives(),
            ENTITIES,
            steps);
    streams
        .out()
        .printf(Locale.ROOT, "%-10s %14s %12s %12s%n", "device", "triples/s", "ms/step", "loss");
    List<Device> devices = new ArrayList<>();
    devices.add(Device.cpu());
    for (int i = 0; i < gpus; i++) {
      devices.add(Device.gpu(i));
    }
    for (Device device : devices) {
      try {
        StepTiming t = timeSteps(train, device, steps);
        streams
            .out()
            .printf(
                Locale.ROOT,
                "%-10s %,14.0f %12.1f %12.4f%n",
                device,
                t.triplesPerSecond(),
                t.millisPerStep(),
                t.lastLoss());
        if (!Double.isFinite(t.lastLoss())) {
          problems.add("training on " + device + " gave a non-finite loss " + t.lastLoss());
        }
      } catch (RuntimeException e) {
        streams.out().printf(Locale.ROOT, "%-10s %14s%n", device, "failed");
        problems.add(
            "training on "
                + device
                + " failed: "
                + e
                + (device.isGpu()
                    ? " (a JNI built for another libtorch fails at the first tensor: build it for "
                        + "this one with deploy/gpu/build-djl-jni.sh, docs/gpu.md)"
                    : ""));
      }
    }
    if (problems.isEmpty()) {
      streams.out().println("doctor: OK");
      return 0;
    }
    for (String p : problems) {
      streams.err().println("doctor: " + p);
    }
    return 1;
  }

  private void print(String key, String value) {
    streams.out().printf(Locale.ROOT, "%-26s %s%n", key + ":", value);
  }

  private static String hint() {
    return "point PYTORCH_LIBRARY_PATH at a CUDA libtorch with DJL's JNI built for it"
        + " (deploy/gpu/build-djl-jni.sh, docs/gpu.md)";
  }

  private static String cudaVersion() {
    try {
      return CudaUtils.getCudaVersionString();
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      return "(version unknown: " + e.getMessage() + ")";
    }
  }

  /** Steps/s of the configured model on a random shard: one warm-up step, then {@code n} timed. */
  record StepTiming(double triplesPerSecond, double millisPerStep, double lastLoss) {}

  static StepTiming timeSteps(TrainConfig train, Device device, int n) {
    int batch = train.batchSize();
    int triples = Math.multiplyExact(batch, n + 1);
    Random random = new Random(42);
    int[] heads = new int[triples];
    int[] relations = new int[triples];
    int[] tails = new int[triples];
    for (int i = 0; i < triples; i++) {
      heads[i] = random.nextInt(ENTITIES);
      relations[i] = random.nextInt(RELATIONS);
      tails[i] = random.nextInt(ENTITIES);
    }
    TrainConfig config =
        train.toBuilder()
            .epochs(1)
            .maxSteps(n + 1)
            .threads(
                train.threads() > 0 ? train.threads() : Runtime.getRuntime().availableProcessors())
            .build();
    ModelParameters start = ModelParameters.initialize(config, ENTITIES, RELATIONS);
    TrainResult warmUp =
        ShardTrainer.train(
            new TripleArrays(heads, relations, tails),
            start,
            config.toBuilder().maxSteps(1).build(),
            device);
    if (warmUp.stats().steps() < 1) {
      throw new IllegalStateException("the warm-up step did not run");
    }
    TrainResult result =
        ShardTrainer.train(new TripleArrays(heads, relations, tails), start, config, device);
    double seconds = result.stats().stepNanos() / 1e9;
    return new StepTiming(
        result.stats().triplesTrained() / seconds,
        result.stats().meanStepMillis(),
        result.stats().lastStepLoss());
  }

  /** The GPUs nvidia-smi lists, or empty when it is missing or fails. */
  static Optional<Integer> nvidiaSmiGpus(String smi) {
    List<String> command = List.of(smi, "--query-gpu=index", "--format=csv,noheader");
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      int count = 0;
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.trim().matches("\\d+")) {
            count++;
          }
        }
      }
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.empty();
      }
      return p.exitValue() == 0 ? Optional.of(count) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
