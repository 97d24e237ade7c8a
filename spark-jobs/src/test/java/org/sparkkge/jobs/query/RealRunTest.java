package org.sparkkge.jobs.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.cli.StageRegistry;
import org.sparkkge.jobs.config.SecretMasker;
import org.sparkkge.jobs.stage.Stage;

/**
 * A real run (bundled UMLS, every stage, small model) and what users do with its outputs: the
 * manifest records it without its secrets, the notebook's queries re-expressed in DuckDB SQL and
 * the notebook's own code give the `neighbors` answers, and report.html opened in Chromium shows
 * the run's numbers.
 */
class RealRunTest {
  @TempDir static Path tmp;
  static Path run;
  static Map<String, String> parameters;
  static Cli.Result result;
  private static final Path UMLS = NotebookTest.repoRoot().resolve("data/umls");

  @BeforeAll
  static void runThePipeline() throws Exception {
    run = tmp.resolve("umls");
    // The example's settings, with train and valid named in the user's file and test on the
    // command line, and secrets in spark.conf from both: the manifest test reads this run.
    Path conf =
        Files2.write(
            tmp.resolve("job.conf"),
            "include file(\""
                + NotebookTest.repoRoot().resolve("conf/examples/umls.conf")
                + "\")\n"
                + "input { train = \""
                + UMLS.resolve("train.txt.gz")
                + "\", valid = \""
                + UMLS.resolve("valid.txt.gz")
                + "\" }\n"
                + "spark.conf { \"spark.hadoop.fs.s3a.secret.key\" = \"AKIA-very-secret\","
                + " \"spark.hadoop.fs.s3a.access.key\" = \"ACCESS-ID-123\" }\n");
    result =
        Cli.run(
            "run",
            "--output",
            run.toString(),
            "--config",
            conf.toString(),
            "--test",
            UMLS.resolve("test.txt.gz").toString(),
            "--set",
            "spark.conf.\"spark.kge.test.password\"=hunter2",
            "--set",
            "train.dim=32");
    assertEquals(0, result.exitCode(), result::toString);
    parameters =
        NotebookTest.parameters(new ObjectMapper().readTree(NotebookTest.NOTEBOOK.toFile()));
  }

  /**
   * Every stage ran and logged; no secret of spark.conf reaches the printed configuration, the log,
   * manifest.json or config.conf, and the manifest records the inputs from both the file and the
   * command line, the versions and each stage's counts.
   */
  @Test
  void manifestRecordsTheRunWithEverySecretMasked() throws Exception {
    for (String secret : new String[] {"AKIA-very-secret", "ACCESS-ID-123", "hunter2"}) {
      assertFalse(result.out().contains(secret), "printed configuration leaks " + secret);
      assertFalse(result.err().contains(secret), "log leaks " + secret);
      assertFalse(
          Files2.read(run.resolve("manifest.json")).contains(secret), "manifest leaks " + secret);
      assertFalse(
          Files2.read(run.resolve("config.conf")).contains(secret), "config.conf leaks " + secret);
    }
    assertTrue(result.out().contains("# effective configuration"), result.toString());

    JsonNode manifest = Files2.json(run.resolve("manifest.json"));
    JsonNode sparkConf = manifest.get("configuration").get("spark").get("conf");
    assertEquals(SecretMasker.MASK, sparkConf.get("spark.hadoop.fs.s3a.secret.key").asText());
    assertEquals(SecretMasker.MASK, sparkConf.get("spark.kge.test.password").asText());
    assertEquals(
        UMLS.resolve("valid.txt.gz").toString(),
        manifest.get("configuration").get("input").get("valid").asText());
    assertEquals(
        UMLS.resolve("test.txt.gz").toString(),
        manifest.get("configuration").get("input").get("test").asText());
    assertEquals(System.getProperty("java.version"), manifest.get("java_version").asText());
    assertEquals(SharedSpark.get().version(), manifest.get("spark_version").asText());
    assertFalse(manifest.get("git_revision").asText().isEmpty());
    assertEquals("0.1.0-SNAPSHOT", manifest.get("spark_kge_version").asText());
    for (String stage : StageRegistry.pipeline().stream().map(Stage::name).toList()) {
      assertTrue(Files.exists(run.resolve("_stages/" + stage + ".json")), stage);
      assertTrue(manifest.get("stages").get(stage).get("seconds").asDouble() > 0, stage);
    }
    JsonNode ingest = manifest.get("stages").get("ingest");
    assertEquals(652, ingest.get("counts").get("splits").get("valid").get("triples").asLong());
    assertEquals(135, ingest.get("counts").get("entities").asLong());
    assertEquals(46, ingest.get("counts").get("relations").asLong());
  }

  @Test
  void notebookQueriesOnTheRealExportMatchTheCli() throws Exception {
    JsonNode model = new ObjectMapper().readTree(run.resolve("model.json").toFile());
    String modelName = model.get("model").asText();
    int dim = model.get("dim").asInt();
    int topN = Integer.parseInt(parameters.get("TOP_N"));
    String dir = run.toString();
    List<String[]> cliNeighbors =
        NeighborsCommandTest.table(
            NeighborsCommandTest.cli(
                "neighbors",
                "--output",
                dir,
                "--entity",
                parameters.get("ENTITY"),
                "--top",
                String.valueOf(topN)));
    List<String[]> cliTails =
        NeighborsCommandTest.table(
            NeighborsCommandTest.cli(
                "neighbors",
                "--output",
                dir,
                "--head",
                parameters.get("HEAD"),
                "--relation",
                parameters.get("RELATION"),
                "--top",
                String.valueOf(topN)));
    assertEquals(topN, cliNeighbors.size());
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      NotebookTest.assertSame(
          NotebookTest.query(
              duck,
              NotebookTest.neighborsSql(dir, dim),
              parameters.get("ENTITY"),
              parameters.get("ENTITY"),
              topN),
          cliNeighbors,
          "UMLS nearest neighbours (DuckDB)");
      NotebookTest.assertSame(
          NotebookTest.query(
              duck,
              NotebookTest.tailsSql(dir, modelName, dim),
              parameters.get("HEAD"),
              parameters.get("RELATION"),
              topN),
          cliTails,
          "UMLS tails (DuckDB)");
      Path jsonl = Files.createDirectories(tmp.resolve("jsonl"));
      Files.copy(run.resolve("model.json"), jsonl.resolve("model.json"));
      for (String dataset : List.of("entity_embeddings", "relation_embeddings")) {
        try (var statement = duck.createStatement()) {
          statement.execute(
              "COPY (SELECT * FROM read_parquet('"
                  + dir
                  + "/"
                  + dataset
                  + "/*.parquet')) TO '"
                  + jsonl.resolve(dataset + ".jsonl")
                  + "' (FORMAT JSON)");
        }
      }
      String out =
          NotebookTest.runPython(
              NotebookTest.pythonWith("pandas, matplotlib"),
              "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
              NotebookTest.repoRoot().resolve("deploy/notebooks/tests/run_notebook.py").toString(),
              NotebookTest.NOTEBOOK.toString(),
              jsonl.toString());
      String line =
          out.lines()
              .filter(l -> l.startsWith("RESULT "))
              .reduce((a, b) -> b)
              .orElseThrow(() -> new AssertionError(out));
      JsonNode result = new ObjectMapper().readTree(line.substring("RESULT ".length()));
      NotebookTest.assertSameRows(
          result.get("neighbors"), cliNeighbors, "UMLS nearest neighbours (notebook code)");
      NotebookTest.assertSameRows(result.get("tails"), cliTails, "UMLS tails (notebook code)");
    }
  }

  @Test
  void reportOfTheRealRunShowsItsNumbers() throws Exception {
    RunReport.write(run.toString(), new Configuration());
    String dom = RunReportTest.chromiumDom(run.resolve("report.html"));
    JsonNode stats = new ObjectMapper().readTree(run.resolve("stats.json").toFile());
    Matcher charts = Pattern.compile("<body data-charts=\"(\\d+)\"").matcher(dom);
    assertTrue(charts.find(), dom);
    assertEquals(
        5,
        Integer.parseInt(charts.group(1)),
        "loss, validation MRR, degree, k-core and shard charts");
    int rounds = stats.get("train").get("round_mean_loss").size();
    assertEquals(rounds, count(dom, "loss"), "one point per round");
    List<Double> validMrr = new ArrayList<>();
    for (JsonNode v : stats.get("train").get("round_valid_mrr")) {
      assertTrue(v.isNumber(), "every round validated (train.validation.every-rounds = 1): " + v);
      validMrr.add(v.asDouble());
    }
    assertEquals(rounds, validMrr.size());
    assertEquals(
        validMrr,
        RunReportTest.pointValues(dom, "mrr"),
        "the chart shows stats.json's round_valid_mrr");
    assertTrue(
        validMrr.get(rounds - 1) > validMrr.get(0),
        "validation MRR rises with training: " + validMrr);
    assertEquals(stats.get("reduce").get("per_k").size(), count(dom, "kcore"));
    assertEquals(stats.get("partition").get("shard_sizes").size(), count(dom, "shards"));

    Map<String, Double> expected = new LinkedHashMap<>();
    expected.putAll(
        NumericLeaves.of(new ObjectMapper().readTree(run.resolve("metrics.json").toFile())));
    Map<String, Double> shown = new LinkedHashMap<>();
    Matcher cell =
        Pattern.compile("<td class=\"num\" data-key=\"([^\"]+)\">([^<]+)</td>").matcher(dom);
    while (cell.find()) {
      shown.put(cell.group(1), Double.parseDouble(cell.group(2)));
    }
    assertTrue(!expected.isEmpty());
    assertEquals(expected, shown);
  }

  private static int count(String dom, String section) {
    Matcher m =
        Pattern.compile("<div id=\"" + section + "\">(.*?)</div>", Pattern.DOTALL).matcher(dom);
    assertTrue(m.find(), section);
    return (int) Pattern.compile("class=\"point\"").matcher(m.group(1)).results().count();
  }
}
