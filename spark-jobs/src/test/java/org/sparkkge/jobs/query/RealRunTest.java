package org.sparkkge.jobs.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/**
 * A real run (bundled UMLS, every stage, small model) and what users do with its outputs: the
 * notebook's queries re-expressed in DuckDB SQL and the notebook's own code give the `neighbors`
 * answers, and report.html opened in Chromium shows the run's numbers.
 */
class RealRunTest {
  @TempDir static Path tmp;
  static Path run;
  static Map<String, String> parameters;

  @BeforeAll
  static void runThePipeline() throws Exception {
    Path data = NotebookTest.repoRoot().resolve("data/umls");
    run = tmp.resolve("umls");
    Cli.Result result =
        Cli.run(
            "run",
            "--output",
            run.toString(),
            "--config",
            NotebookTest.repoRoot().resolve("conf/examples/umls.conf").toString(),
            "--train",
            data.resolve("train.txt.gz").toString(),
            "--valid",
            data.resolve("valid.txt.gz").toString(),
            "--test",
            data.resolve("test.txt.gz").toString(),
            "--set",
            "train.dim=32");
    assertEquals(0, result.exitCode(), result::toString);
    parameters =
        NotebookTest.parameters(new ObjectMapper().readTree(NotebookTest.NOTEBOOK.toFile()));
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
