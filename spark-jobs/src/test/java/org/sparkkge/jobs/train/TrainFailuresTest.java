package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;

/** Runs that cannot succeed stop early with a message that says why and what to change. */
class TrainFailuresTest {
  @TempDir Path tmp;

  @Test
  void explodingLossStopsNamingRoundAndShard() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("diverge"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(2, 1.0));
    // the mean softmax loss of UMLS starts near 10: a limit of 0.5 is exceeded in the first round
    args.addAll(List.of("--set", "train.max-loss=0.5"));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(result.err().contains("train: training diverged in round 1, shard 0:"), result.err());
    assertTrue(result.err().contains("train.max-loss"), result.err());
    assertFalse(Files.exists(dir.resolve("model/final")));
    assertFalse(Files.exists(dir.resolve("model/checkpoints/round-00001")), "no checkpoint of a diverged round");
  }

  @Test
  void parametersThatCannotFitAreRefusedBeforeTraining() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("memory"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(1, 1.0));
    args.addAll(List.of("--set", "train.dim=2000", "--set", "train.memory.executor-bytes=4m"));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(1, result.exitCode(), result.toString());
    String err = result.err();
    assertTrue(err.contains("train: the parameters do not fit in executor memory"), err);
    assertTrue(err.contains("x dim 2000 x 4 bytes"), err);
    assertTrue(err.contains("train.mode = nodepiece"), err);
    assertTrue(err.contains("more shards (partition.shards, now 2)"), err);
    assertTrue(err.contains("a lower train.dim (now 2000)"), err);
    assertTrue(err.contains("of 4.0 MiB executor memory"), err);
    assertFalse(Files.exists(dir.resolve("model/checkpoints")), "refused before anything was written");
  }

  @Test
  void missingPartitionStageIsNamed() throws Exception {
    Path data = Cli.repoRoot().resolve("data/umls");
    Path dir = tmp.resolve("nopartition");
    Cli.Result ingest = Cli.run("ingest", "--output", dir.toString(), "--train", data.resolve("train.txt.gz").toString());
    assertEquals(0, ingest.exitCode(), ingest.toString());
    Cli.Result result = Cli.run("train", "--output", dir.toString());
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(result.err().contains("missing dataset triples/partitioned"), result.err());
    assertTrue(result.err().contains("written by the partition stage"), result.err());
  }
}
