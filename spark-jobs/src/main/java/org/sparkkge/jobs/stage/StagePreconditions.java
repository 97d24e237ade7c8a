package org.sparkkge.jobs.stage;

import com.typesafe.config.Config;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.HadoopPaths;
import org.sparkkge.jobs.io.OutputDirectory;

/**
 * The checks every stage gets before it runs, with one message shape each: the output directory may
 * be created (first stage), every required dataset is there and its writer completed, and a
 * completed earlier run of the stage is replaced only with --overwrite.
 */
public final class StagePreconditions {
  private StagePreconditions() {}

  public static void check(Stage stage, Config config, OutputDirectory output, boolean overwrite)
      throws IOException {
    if (stage.createsOutput()) {
      output.checkWritable(overwrite); // refuse before hours of reading
      return;
    }
    String dir = HadoopPaths.display(output.path());
    for (Requirement required : stage.requires(config)) {
      require(stage.name(), output, required);
    }
    if (overwrite
        || stage.continuesEarlierRun(config)
        || !output.fileSystem().exists(output.stageMarkerPath(stage.name()))) {
      // Datasets without the stage's marker are leftovers of an interrupted commit, never a
      // complete output (docs/outputs.md): the stage's own commit replaces them.
      return;
    }
    List<String> present = new ArrayList<>();
    for (String dataset : stage.produces(config)) {
      if (output.fileSystem().exists(output.resolve(dataset))) {
        present.add(dataset);
      }
    }
    throw new PipelineException(
        String.format(
            Locale.ROOT,
            "%s: %s already holds %s from an earlier %s run (use --overwrite to replace %s%s)",
            stage.name(),
            dir,
            present.isEmpty() ? "the stage marker" : String.join(", ", present),
            stage.name(),
            present.size() == 1 ? "it" : "them",
            stage.rerunHint()));
  }

  /**
   * The same check for a dataset that only the data decides a stage needs (export of a NodePiece
   * model needs the tokens): fails unless it is there and its writer completed.
   */
  public static void require(String stage, OutputDirectory output, Requirement required)
      throws IOException {
    if (!output.isStageComplete(required.writer())
        || !output.fileSystem().exists(output.resolve(required.dataset()))) {
      String dir = HadoopPaths.display(output.path());
      throw new PipelineException(
          String.format(
              Locale.ROOT,
              "%s: missing dataset %s in %s (written by the %s stage): run `spark-kge %s --output %s` first%s",
              stage,
              required.dataset(),
              dir,
              required.writer(),
              required.writer(),
              dir,
              required.reason()));
    }
  }
}
