package org.sparkkge.jobs.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/notebooks/explore.ipynb: valid nbformat 4 without outputs, and its queries (with its own
 * parameter values), re-expressed in SQL over the Parquet files with DuckDB, give the answers of
 * `spark-kge neighbors`. The outputs are synthetic exports in the export stage's layout (one per
 * model) whose names include the notebook's ENTITY, HEAD and RELATION.
 */
class NotebookTest {
  static final Path NOTEBOOK = repoRoot().resolve("deploy/notebooks/explore.ipynb");
  static final List<String> MODELS =
      List.of("transe_l1", "transe_l2", "distmult", "complex", "rotate");
  @TempDir static Path tmp;
  static JsonNode notebook;
  static Map<String, String> parameters;
  static final Map<String, SyntheticExport> EXPORTS = new LinkedHashMap<>();

  static Path repoRoot() {
    String root = System.getProperty("kge.repo.root");
    if (root == null) {
      throw new IllegalStateException(
          "system property kge.repo.root is not set (Surefire sets it to the repository root)");
    }
    return Path.of(root).toAbsolutePath().normalize();
  }

  @BeforeAll
  static void readNotebookAndWriteExports() throws IOException {
    notebook = new ObjectMapper().readTree(NOTEBOOK.toFile());
    parameters = parameters(notebook);
    List<String> entityNames =
        new ArrayList<>(List.of(parameters.get("ENTITY"), parameters.get("HEAD")));
    for (int e = entityNames.size(); e < SyntheticExport.ENTITIES; e++) {
      entityNames.add("entity_" + e);
    }
    List<String> relationNames = new ArrayList<>(List.of("isa", parameters.get("RELATION")));
    while (relationNames.size() < SyntheticExport.RELATIONS) {
      relationNames.add("relation_" + relationNames.size());
    }
    long seed = 100;
    for (String model : MODELS) {
      EXPORTS.put(
          model,
          SyntheticExport.write(tmp.resolve(model), model, 8, seed++, entityNames, relationNames));
    }
  }

  static String source(JsonNode cell) {
    StringBuilder text = new StringBuilder();
    JsonNode source = cell.get("source");
    if (source.isTextual()) {
      return source.asText();
    }
    source.forEach(line -> text.append(line.asText()));
    return text.toString();
  }

  /** NAME = "text" or NAME = number lines of the cell tagged "parameters". */
  static Map<String, String> parameters(JsonNode notebook) {
    for (JsonNode cell : notebook.get("cells")) {
      JsonNode tags = cell.path("metadata").path("tags");
      if (tags.isArray() && tags.toString().contains("\"parameters\"")) {
        Map<String, String> values = new LinkedHashMap<>();
        Matcher m =
            Pattern.compile("(?m)^([A-Z_]+)\\s*=\\s*(?:\"([^\"]*)\"|(\\d+))").matcher(source(cell));
        while (m.find()) {
          values.put(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
        }
        return values;
      }
    }
    throw new AssertionError("no cell tagged \"parameters\" in " + NOTEBOOK);
  }

  /**
   * A python3 that imports module(s) (Debian's python3-MODULE packages; bin/test installs them when
   * missing).
   */
  static String pythonWith(String module) throws Exception {
    for (String python : List.of("python3", "/usr/bin/python3")) {
      try {
        Process p =
            new ProcessBuilder(python, "-c", "import " + module).redirectErrorStream(true).start();
        // module may list several, "pandas, matplotlib"
        p.getInputStream().readAllBytes();
        if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return python;
        }
      } catch (IOException notThere) {
        // try the next interpreter
      }
    }
    return fail(
        "no python3 with "
            + module
            + ": apt-get install python3-nbformat python3-pandas python3-matplotlib (bin/test does it)");
  }

  static String runPython(String python, String code, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(python, "-c", code));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python timed out");
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  @Test
  void isValidNbformat4WithoutOutputsAndEveryCodeCellCompiles() throws Exception {
    String python = pythonWith("nbformat");
    String out =
        runPython(
            python,
            String.join(
                "\n",
                "import sys, nbformat",
                "nb = nbformat.read(sys.argv[1], as_version=4)",
                "nbformat.validate(nb)",
                "for cell in nb.cells:",
                "    if cell.cell_type == 'code':",
                "        compile(cell.source, 'cell', 'exec')",
                "print('valid', nb.nbformat, len(nb.cells))"),
            NOTEBOOK.toString());
    assertTrue(out.startsWith("valid 4 "), out);
    for (JsonNode cell : notebook.get("cells")) {
      if (cell.get("cell_type").asText().equals("code")) {
        assertEquals(0, cell.get("outputs").size(), "committed without outputs");
        assertTrue(cell.get("execution_count").isNull());
      }
    }
    assertEquals(
        List.of("OUTPUT_DIR", "ENTITY", "HEAD", "RELATION", "TOP_N"),
        List.copyOf(parameters.keySet()));
  }

  @Test
  void notebookQueriesUseItsParametersAndTheDocumentedInputs() {
    StringBuilder code = new StringBuilder();
    notebook.get("cells").forEach(cell -> code.append(source(cell)).append('\n'));
    for (String expected :
        List.of(
            "nearest_neighbors(ENTITY)",
            "predict_tails(HEAD, RELATION)",
            "pd.read_parquet(out / \"entity_embeddings\")",
            "pd.read_parquet(out / \"relation_embeddings\")",
            "\"model.json\"",
            "np.linalg.svd",
            "core_number")) {
      assertTrue(code.toString().contains(expected), "the notebook should contain " + expected);
    }
  }

  @Test
  void duckDbReExpressionsOfTheNotebookQueriesMatchTheCli() throws SQLException {
    int topN = Integer.parseInt(parameters.get("TOP_N"));
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      for (String model : MODELS) {
        SyntheticExport export = EXPORTS.get(model);
        String dir = export.dir.toString();
        List<Hit> sqlNeighbors =
            query(
                duck,
                neighborsSql(dir, 8),
                parameters.get("ENTITY"),
                parameters.get("ENTITY"),
                topN);
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
        assertSame(sqlNeighbors, cliNeighbors, model + " nearest neighbours");
        // and the SQL is not merely agreeing with itself: brute force agrees too
        assertEquals(
            BruteForce.neighbors(export, 0, topN).stream().map(Hit::name).toList(),
            sqlNeighbors.stream().map(Hit::name).toList());

        List<Hit> sqlTails =
            query(
                duck,
                tailsSql(dir, model, 8),
                parameters.get("HEAD"),
                parameters.get("RELATION"),
                topN);
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
        assertSame(sqlTails, cliTails, model + " tails of (HEAD, RELATION, ?)");
        assertEquals(
            BruteForce.tails(export, 1, 1, topN).stream().map(Hit::name).toList(),
            sqlTails.stream().map(Hit::name).toList());
      }
    }
  }

  /**
   * Runs the notebook's own code (deploy/notebooks/tests/run_notebook.py: numpy, pandas, matplotlib
   * from apt) on each export and compares its two tables with the CLI's. Debian packages neither
   * pyarrow nor fastparquet, so the runner reads JSON-lines copies of the Parquet files that DuckDB
   * writes here.
   */
  @Test
  void theNotebooksOwnCodeGivesTheCliAnswers() throws Exception {
    String python = pythonWith("pandas, matplotlib");
    Path runner = repoRoot().resolve("deploy/notebooks/tests/run_notebook.py");
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      for (String model : MODELS) {
        String dir = EXPORTS.get(model).dir.toString();
        for (String dataset : List.of("entity_embeddings", "relation_embeddings")) {
          try (var statement = duck.createStatement()) {
            statement.execute(
                "COPY (SELECT * FROM read_parquet('"
                    + dir
                    + "/"
                    + dataset
                    + "/*.parquet')) TO '"
                    + dir
                    + "/"
                    + dataset
                    + ".jsonl' (FORMAT JSON)");
          }
        }
        String out =
            runPython(
                python,
                "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                runner.toString(),
                NOTEBOOK.toString(),
                dir);
        String resultLine =
            out.lines()
                .filter(line -> line.startsWith("RESULT "))
                .reduce((a, b) -> b)
                .orElseThrow(
                    () -> new AssertionError("no RESULT line from the notebook runner:\n" + out));
        JsonNode result = new ObjectMapper().readTree(resultLine.substring("RESULT ".length()));
        assertEquals(model, result.get("model").asText());
        assertEquals("[12,2]", result.get("projection_shape").toString());
        String top = parameters.get("TOP_N");
        assertSameRows(
            result.get("neighbors"),
            NeighborsCommandTest.table(
                NeighborsCommandTest.cli(
                    "neighbors",
                    "--output",
                    dir,
                    "--entity",
                    parameters.get("ENTITY"),
                    "--top",
                    top)),
            model + " neighbours");
        assertSameRows(
            result.get("tails"),
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
                    top)),
            model + " tails");
      }
    }
  }

  static void assertSameRows(JsonNode notebookRows, List<String[]> cli, String what) {
    assertEquals(cli.size(), notebookRows.size(), what);
    for (int i = 0; i < cli.size(); i++) {
      JsonNode row = notebookRows.get(i);
      assertEquals(cli.get(i)[0], row.get("rank").asText(), what);
      assertEquals(cli.get(i)[1], row.get("id").asText(), what + " rank " + (i + 1));
      assertEquals(cli.get(i)[2], row.get("name").asText(), what + " rank " + (i + 1));
      assertEquals(
          Double.parseDouble(cli.get(i)[3]),
          row.get("score").asDouble(),
          1e-6,
          what + " rank " + (i + 1));
    }
  }

  static void assertSame(List<Hit> sql, List<String[]> cli, String what) {
    assertEquals(sql.size(), cli.size(), what);
    for (int i = 0; i < sql.size(); i++) {
      assertEquals(String.valueOf(sql.get(i).id()), cli.get(i)[1], what + " rank " + (i + 1));
      assertEquals(sql.get(i).name(), cli.get(i)[2], what + " rank " + (i + 1));
      assertEquals(
          sql.get(i).score(), Double.parseDouble(cli.get(i)[3]), 1e-6, what + " rank " + (i + 1));
    }
  }

  static List<Hit> query(Connection duck, String sql, String first, String second, int limit)
      throws SQLException {
    List<Hit> hits = new ArrayList<>();
    try (PreparedStatement statement = duck.prepareStatement(sql)) {
      statement.setString(1, first);
      statement.setString(2, second);
      statement.setInt(3, limit);
      try (ResultSet rs = statement.executeQuery()) {
        while (rs.next()) {
          hits.add(new Hit(rs.getInt(1), rs.getString(2), rs.getDouble(3)));
        }
      }
    }
    return hits;
  }

  private static String entities(String dir) {
    return "(SELECT id, name, embedding::DOUBLE[] AS v FROM read_parquet('"
        + dir
        + "/entity_embeddings/*.parquet'))";
  }

  /** The notebook's nearest_neighbors: cosine similarity, the query excluded, ties by id. */
  static String neighborsSql(String dir, int dim) {
    return "WITH e AS "
        + entities(dir)
        + ", q AS (SELECT v FROM e WHERE name = ?), "
        + "s AS (SELECT e.id, e.name, sum(q.v[i] * e.v[i]) AS dot, sqrt(sum(q.v[i] * q.v[i])) AS qn, sqrt(sum(e.v[i] * e.v[i])) AS en "
        + "FROM e, q, (SELECT range AS i FROM range(1, "
        + (dim + 1)
        + ")) WHERE e.name <> ? GROUP BY e.id, e.name) "
        + "SELECT id, name, CASE WHEN qn * en = 0 THEN 0 ELSE dot / (qn * en) END AS score FROM s ORDER BY score DESC, id LIMIT ?";
  }

  /** The notebook's tail_scores per model, term by term over 1-based list positions. */
  static String tailsSql(String dir, String model, int dim) {
    int half = dim / 2;
    String h = "h.v[i]", hi = "h.v[i + " + half + "]", r = "r.v[i]", ri = "r.v[i + " + half + "]";
    String t = "t.v[i]", ti = "t.v[i + " + half + "]";
    String score;
    int terms = dim;
    switch (model) {
      case "transe_l1" -> score = "-sum(abs(" + h + " + " + r + " - " + t + "))";
      case "transe_l2" -> score = "-sqrt(sum(pow(" + h + " + " + r + " - " + t + ", 2)))";
      case "distmult" -> score = "sum(" + h + " * " + r + " * " + t + ")";
      case "complex" -> {
        score =
            "sum(" + t + " * (" + h + " * " + r + " - " + hi + " * " + ri + ") + " + ti + " * ("
                + hi + " * " + r + " + " + h + " * " + ri + "))";
        terms = half;
      }
      case "rotate" -> {
        score =
            "-sum(sqrt(pow("
                + h
                + " * cos("
                + r
                + ") - "
                + hi
                + " * sin("
                + r
                + ") - "
                + t
                + ", 2) + pow("
                + h
                + " * sin("
                + r
                + ") + "
                + hi
                + " * cos("
                + r
                + ") - "
                + ti
                + ", 2)))";
        terms = half;
      }
      default -> throw new IllegalArgumentException(model);
    }
    return "WITH e AS "
        + entities(dir)
        + ", h AS (SELECT v FROM e WHERE name = ?), "
        + "r AS (SELECT embedding::DOUBLE[] AS v FROM read_parquet('"
        + dir
        + "/relation_embeddings/*.parquet') WHERE name = ?) "
        + "SELECT t.id, t.name, "
        + score
        + " AS score FROM e t, h, r, (SELECT range AS i FROM range(1, "
        + (terms + 1)
        + ")) "
        + "GROUP BY t.id, t.name ORDER BY score DESC, t.id LIMIT ?";
  }
}
