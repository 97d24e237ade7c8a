package org.sparkkge.jobs.cli;

import java.util.List;
import java.util.Optional;
import org.sparkkge.jobs.evaluate.EvaluateStage;
import org.sparkkge.jobs.export.ExportStage;
import org.sparkkge.jobs.graph.PartitionStage;
import org.sparkkge.jobs.graph.ReduceStage;
import org.sparkkge.jobs.graph.TokenizeStage;
import org.sparkkge.jobs.ingest.IngestStage;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.train.TrainStage;

/** The pipeline's stages in execution order; {@code run} executes all of them. */
public final class StageRegistry {
  private static final List<Stage> PIPELINE =
      List.of(
          new IngestStage(),
          new ReduceStage(),
          new TokenizeStage(),
          new PartitionStage(),
          new TrainStage(),
          new ExportStage(),
          new EvaluateStage());

  private StageRegistry() {}

  public static List<Stage> pipeline() {
    return PIPELINE;
  }

  public static Optional<Stage> byName(String name) {
    return PIPELINE.stream().filter(stage -> stage.name().equals(name)).findFirst();
  }
}
