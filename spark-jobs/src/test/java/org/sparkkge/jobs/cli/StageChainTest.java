package org.sparkkge.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.ingest.IngestStage;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.progress.Streams;
import org.sparkkge.jobs.stage.Requirement;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;

/** A later stage plugs in as one class: it runs after ingest and adds its dataset with a marker. */
class StageChainTest {
  @TempDir Path tmp;

  /** Counts training triples per relation: the shape of every later stage. */
  static final class RelationHistogramStage implements Stage {
    @Override
    public String name() {
      return "histogram";
    }

    @Override
    public String summary() {
      return "Triples per relation.";
    }

    @Override
    public List<Requirement> requires(Config config) {
      return List.of(Requirement.of(Layout.TRAIN_TRIPLES));
    }

    @Override
    public List<String> produces(Config config) {
      return List.of("histogram/relations");
    }

    @Override
    public void run(StageContext context) throws Exception {
      Dataset<Row> train = context.spark().read().parquet(context.dataset(Layout.TRAIN_TRIPLES));
      context.addDatasets(
          produces(context.config()),
          staging -> {
            train.groupBy("relation").count().write().parquet(staging + "/histogram/relations");
            return Map.of("relations", train.select("relation").distinct().count());
          });
    }
  }

  private int execute(List<Stage> stages, String output, ByteArrayOutputStream err) {
    CommonOptions common = new CommonOptions();
    common.output = output;
    Path data = Cli.repoRoot().resolve("data/nations");
    SharedSpark.get();
    return new StageExecutor(
            new Streams(
                new PrintStream(new ByteArrayOutputStream(), true),
                new PrintStream(err, true, StandardCharsets.UTF_8)))
        .execute(stages, common, List.of("input.train=" + data.resolve("train.txt.gz")));
  }

  @Test
  void laterStageRunsAfterIngestAndAddsItsDataset() throws Exception {
    Path out = tmp.resolve("out");
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int early = execute(List.of(new RelationHistogramStage()), out.toString(), err);
    assertEquals(1, early, err.toString(StandardCharsets.UTF_8));
    assertTrue(
        err.toString(StandardCharsets.UTF_8)
            .contains(
                "histogram: missing dataset triples/train in "
                    + out
                    + " (written by the ingest stage): run `spark-kge ingest --output "
                    + out
                    + "` first"),
        err.toString(StandardCharsets.UTF_8));

    int code =
        execute(List.of(new IngestStage(), new RelationHistogramStage()), out.toString(), err);
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    assertTrue(Files.exists(out.resolve("_stages/histogram.json")));
    JsonNode manifest = Files2.json(out.resolve("manifest.json"));
    assertEquals(
        55, manifest.get("stages").get("histogram").get("counts").get("relations").asLong());
    assertTrue(manifest.get("stages").has("ingest"));
    long total = 0;
    for (Row row :
        SharedSpark.get()
            .read()
            .parquet(out.resolve("histogram/relations").toString())
            .collectAsList()) {
      total += row.getLong(1);
    }
    assertEquals(1592, total);
    assertTrue(!Files.exists(out.resolve("_temporary")));

    // The runner, not the stage, refuses to replace a completed run without --overwrite.
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    assertEquals(1, execute(List.of(new RelationHistogramStage()), out.toString(), again));
    assertTrue(
        again
            .toString(StandardCharsets.UTF_8)
            .contains(
                "histogram: "
                    + out
                    + " already holds histogram/relations from an earlier histogram run (use --overwrite to replace it)"),
        again.toString(StandardCharsets.UTF_8));
  }
}
