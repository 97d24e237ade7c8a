package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.jobs.Cli;

class TrainStageTest {
  @TempDir Path tmp;

  @Test
  void twoShardsTrainUmlsFarAboveRandom() throws Exception {
    Path dir = TrainFixtures.umls(tmp.resolve("p2"), 2);
    List<String> args = new ArrayList<>(List.of("train", "--output", dir.toString()));
    args.addAll(TrainFixtures.umlsSettings(10, 1.0));
    Cli.Result result = Cli.run(args.toArray(new String[0]));
    assertEquals(0, result.exitCode(), result.toString());
    for (int round = 0; round <= 10; round++) {
      assertTrue(Files.exists(dir.resolve(String.format("model/checkpoints/round-%05d/_COMPLETE", round))));
    }
    ModelParameters params = TrainFixtures.finalParameters(dir, "complex");
    TripleArrays test = TrainFixtures.triples(dir, "test");
    TripleArrays known = TripleArrays.concat(TrainFixtures.triples(dir, "train"), TrainFixtures.triples(dir, "valid"),
        test);
    EvaluationResult eval = LinkPredictionEvaluator.evaluate(params, test, known, 0, 256, 1, Device.cpu());
    System.out.println("TRAIN P=2 UMLS " + eval + "\n" + result.err());
    assertTrue(eval.realistic().mrr() > 0.3, eval.toString());
  }
}
