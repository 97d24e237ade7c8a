package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.config.ConfigLoader;
import org.sparkkge.jobs.io.Layout;

/** Runs that cannot succeed stop early with a message that says why and what to change. */
class TrainFailuresTest {
  @TempDir Path tmp;

  @Test
  void explodingLossStopsNamingRoundAndShard() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("diverge"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(2, 1.0));
    // the mean softmax loss of UMLS starts near 10: a limit of 0.5 is exceeded in the first round
    args.addAll(List.of("--set", "train.max-loss=0.5", "--set", "train.on-divergence=fail"));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(result.err().contains("train: training diverged in round 1, task 0:"), result.err());
    assertTrue(result.err().contains("train.max-loss"), result.err());
    assertEquals(
        1,
        count(result.err(), "ower train.lr or train.init-scale"),
        "the advice is given once: " + result.err());
    assertFalse(Files.exists(dir.resolve("model/final")));
    assertFalse(
        Files.exists(dir.resolve("model/checkpoints/round-00001")),
        "no checkpoint of a diverged round");
  }

  @Test
  void aDivergedRoundIsRetriedAtTheSameThenLowerLearningRatesAndRecorded() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("retry"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(2, 1.0));
    // Adagrad steps each coordinate by about lr: at lr 1000 the scores, and the loss, explode;
    // halving the
    // rates a dozen times brings them back under the limit. The first retry keeps the rates (a
    // divergence
    // that does not recur needs no lower ones); this one recurs, so each later retry halves them.
    args.addAll(
        List.of(
            "--set",
            "train.lr=1000",
            "--set",
            "train.max-loss=30",
            "--set",
            "train.divergence-retries=16",
            "--set",
            "train.validation.every-rounds=0"));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(0, result.exitCode(), result.toString());
    assertTrue(result.err().contains("train: round 1 diverged (task "), result.err());
    assertTrue(
        result.err().contains("retrying it from checkpoint 0 with learning rates x 1.0 "),
        result.err());
    assertTrue(
        result.err().contains("retrying it from checkpoint 0 with learning rates x 0.5 "),
        result.err());
    Map<String, Object> first = roundJson(dir, 1);
    List<?> attempts = (List<?>) first.get("diverged_attempts");
    assertTrue(attempts.size() >= 2 && attempts.size() <= 16, first.toString());
    List<Double> triedScales =
        attempts.stream()
            .map(a -> ((Number) ((Map<?, ?>) a).get("lr_scale")).doubleValue())
            .toList();
    assertEquals(1.0, triedScales.get(0), 0.0, first.toString());
    assertEquals(1.0, triedScales.get(1), 0.0, "the first retry keeps the rates: " + first);
    for (int i = 2; i < triedScales.size(); i++) {
      assertEquals(
          triedScales.get(i - 1) / 2, triedScales.get(i), 0.0, "later retries halve: " + first);
    }
    double scale = ((Number) first.get("lr_scale")).doubleValue();
    assertEquals(
        Math.pow(0.5, attempts.size() - 1), scale, 1e-12, "halved once per retry after the first");
    assertEquals(
        scale,
        ((Number) roundJson(dir, 2).get("lr_scale")).doubleValue(),
        0.0,
        "kept for later rounds");
    assertTrue(((Number) roundJson(dir, 2).get("mean_loss")).doubleValue() < 30);

    // the same run with too few retries fails, naming them
    Path failing = TrainFixtures.umls(tmp.resolve("retry-fail"), 2);
    args.set(2, failing.toString());
    args.addAll(List.of("--set", "train.divergence-retries=2"));
    Cli.Result failed = Cli.run(args.toArray(new String[0]));
    assertEquals(1, failed.exitCode(), failed.toString());
    assertTrue(failed.err().contains("(after 2 retries with learning rates x 0.5)"), failed.err());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> roundJson(Path dir, int round) throws Exception {
    return new ObjectMapper()
        .readValue(
            dir.resolve(String.format("model/checkpoints/round-%05d/round.json", round)).toFile(),
            Map.class);
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) n++;
    return n;
  }

  @Test
  void parametersThatCannotFitAreRefusedBeforeTraining() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("memory"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(1, 1.0));
    args.addAll(
        List.of(
            "--set",
            "train.dim=2000",
            "--set",
            "train.memory.executor-bytes=4m",
            "--set",
            "train.negative-pool=0"));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(1, result.exitCode(), result.toString());
    String err = result.err();
    assertTrue(err.contains("train: the training tasks do not fit in executor memory"), err);
    // P = 2: four entity partitions, a task owns two; UMLS's 135 entities fall 34 + 33 + 35 + 33
    // (or so)
    Matcher rows = Pattern.compile("holds (\\d+) entity rows at dim 2000").matcher(err);
    assertTrue(rows.find(), err);
    int held = Integer.parseInt(rows.group(1));
    assertTrue(
        held > 50 && held < 100, "a task holds about half of UMLS's 135 rows, not all: " + held);
    // heap: 3 copies of (2000 x 4 + 8) bytes per row
    assertTrue(
        err.contains(
            MemoryEstimate.human(3L * held * (2000 * 4 + 8) + 3L * 46 * 2000 * 4) + " on the heap"),
        err);
    assertTrue(err.contains("train.mode = nodepiece"), err);
    assertTrue(
        err.contains(
            "more entity partitions (train.entity-partitions, or partition.shards, now 2)"),
        err);
    assertTrue(err.contains("a lower train.dim (now 2000)"), err);
    assertTrue(err.contains("train.memory.fraction 0.60 of 4.0 MiB"), err);
    assertFalse(
        Files.exists(dir.resolve("model/checkpoints")), "refused before anything was written");
  }

  /**
   * Checkpoints of an earlier run are neither silently continued nor silently replaced: train
   * without --resume or --overwrite refuses before training and names both (resuming itself is
   * tested end to end by the HDFS and S3 integration tests, after a SIGKILL).
   */
  @Test
  void checkpointsOfAnEarlierRunNeedResumeOrOverwrite() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("earlier"), 2);
    Path complete = dir.resolve("model/checkpoints/round-00001/_COMPLETE");
    Files.createDirectories(complete.getParent());
    Files.createFile(complete);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(1, 1.0));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(
        result.err().contains("train: checkpoints of an earlier run exist in ")
            && result
                .err()
                .contains("; use --resume to continue them or --overwrite to start over"),
        result.err());
    assertTrue(Files.exists(complete), "the earlier checkpoint is kept");
    assertFalse(Files.exists(dir.resolve("model/final")));
  }

  /**
   * --resume may train more epochs than the checkpoints were made for (no round depends on the
   * total), or finish with fewer, but not another model: a changed trainer setting is refused,
   * naming both.
   */
  @Test
  void resumeTrainsAddedEpochsButRefusesChangedSettings() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("longer"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(1, 1.0));
    Cli.Result first = Cli.run(args.toArray(new String[0]));
    assertEquals(0, first.exitCode(), first.toString());

    List<String> longer = new ArrayList<>(List.of("train", "--output", dir.toString()));
    longer.addAll(TrainFixtures.umlsSettings(2, 1.0));
    longer.add("--resume");
    Cli.Result resumed = Cli.run(longer.toArray(new String[0]));
    assertEquals(0, resumed.exitCode(), resumed.toString());
    assertTrue(
        resumed.toString().contains("train: resuming after round 1 of 2"), resumed.toString());
    assertTrue(Files.exists(dir.resolve("model/checkpoints/round-00002/_COMPLETE")));

    List<String> changed = new ArrayList<>(longer);
    changed.set(changed.indexOf("train.epochs=2"), "train.epochs=3");
    changed.addAll(List.of("--set", "train.lr=0.05"));
    Cli.Result refused = Cli.run(changed.toArray(new String[0]));
    assertEquals(1, refused.exitCode(), refused.toString());
    assertTrue(
        refused.err().contains("train: --resume: the checkpoint of round 2 was made with")
            && refused.err().contains("lr=0.1,")
            && refused.err().contains("lr=0.05,"),
        refused.err());
    assertFalse(Files.exists(dir.resolve("model/checkpoints/round-00003")));

    // fewer epochs than trained: nothing trains, and the final model is that round's checkpoint
    List<String> shorter = new ArrayList<>(longer);
    shorter.set(shorter.indexOf("train.epochs=2"), "train.epochs=1");
    Cli.Result finished = Cli.run(shorter.toArray(new String[0]));
    assertEquals(0, finished.exitCode(), finished.toString());
    assertTrue(finished.toString().contains("no round left to train"), finished.toString());
    SparkSession spark = SharedSpark.get();
    assertArrayEquals(
        SharedParams.read(
                spark, dir.resolve(Layout.checkpoint(1)).resolve(Layout.MODEL_SHARED).toString())
            .relations(),
        SharedParams.read(
                spark, dir.resolve(Layout.FINAL_MODEL).resolve(Layout.MODEL_SHARED).toString())
            .relations());
  }

  /** Checkpoints written before the epochs were left out recorded them in train_config. */
  @Test
  void anIdentityRecordedWithTheEpochsMatchesTheSameSettings() {
    TrainOptions options = TrainOptions.from(ConfigLoader.defaults());
    Map<String, Object> recorded = new LinkedHashMap<>(options.identity());
    String withEpochs = options.core().toString();
    assertTrue(withEpochs.contains(" epochs=1, "), withEpochs);
    recorded.put("train_config", withEpochs.replace(" epochs=1, ", " epochs=20, "));
    assertEquals(options.identity(), TrainOptions.recordedIdentity(recorded));
    recorded.put("train_config", withEpochs.replace(" lr=", " lr=9").replace(" epochs=1, ", " "));
    assertFalse(options.identity().equals(TrainOptions.recordedIdentity(recorded)));
  }

  @Test
  void missingPartitionStageIsNamed() throws Exception {
    Path data = Cli.repoRoot().resolve("data/umls");
    Path dir = tmp.resolve("nopartition");
    Cli.Result ingest =
        Cli.run(
            "ingest",
            "--output",
            dir.toString(),
            "--train",
            data.resolve("train.txt.gz").toString());
    assertEquals(0, ingest.exitCode(), ingest.toString());
    Cli.Result result = Cli.run("train", "--output", dir.toString());
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(result.err().contains("missing dataset triples/partitioned"), result.err());
    assertTrue(result.err().contains("written by the partition stage"), result.err());
  }
}
