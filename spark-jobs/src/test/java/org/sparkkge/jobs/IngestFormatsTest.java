package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CSV with quotes and a header, N-Triples literal policies, Parquet input, duplicates, unseen entities. */
class IngestFormatsTest {
  @TempDir Path tmp;

  private Path out() {
    return tmp.resolve("out");
  }

  /** Decoded triples of a split as "head|relation|tail" names, sorted. */
  private List<String> triples(String split) {
    SparkSession spark = SharedSpark.get();
    Dataset<Row> entities = spark.read().parquet(out().resolve("entities").toString());
    Dataset<Row> relations = spark.read().parquet(out().resolve("relations").toString());
    Dataset<Row> triples = spark.read().parquet(out().resolve("triples/" + split).toString());
    triples.createOrReplaceTempView("t");
    entities.createOrReplaceTempView("e");
    relations.createOrReplaceTempView("r");
    return spark
        .sql("SELECT concat(h.name, '|', r.name, '|', x.name) FROM t JOIN e h ON t.head = h.id JOIN r ON t.relation = r.id JOIN e x ON t.tail = x.id")
        .collectAsList()
        .stream()
        .map(row -> row.getString(0))
        .sorted()
        .collect(Collectors.toList());
  }

  private Map<Integer, String> dictionary(String name) {
    Map<Integer, String> map = new TreeMap<>();
    for (Row row : SharedSpark.get().read().parquet(out().resolve(name).toString()).collectAsList()) {
      map.put(row.getInt(0), row.getString(1));
    }
    return map;
  }

  @Test
  void csvWithHeaderQuotesAndColumnOrder() {
    Path train = Files2.write(tmp.resolve("train.csv"), "tail,head,relation\n\"b, Inc.\",a,likes\n\"say \"\"hi\"\"\",b,says\nb,a,likes\n");
    Cli.Result result =
        Cli.run("ingest", "--train", train.toString(), "--output", out().toString(),
            "--set", "ingest.format=csv", "--set", "ingest.header=true", "--set", "ingest.columns=[tail, head, relation]");
    assertEquals(0, result.exitCode(), result.toString());
    assertEquals(List.of("a|likes|b", "a|likes|b, Inc.", "b|says|say \"hi\""), triples("train"));
    assertEquals(Map.of(0, "a", 1, "b", 2, "b, Inc.", 3, "say \"hi\""), dictionary("entities"));
    assertEquals(Map.of(0, "likes", 1, "says"), dictionary("relations"));
    assertEquals(1, Files2.json(out().resolve("stats.json")).get("splits").get("train").get("ignored_lines").asLong());
  }

  @Test
  void customDelimiterAndDuplicatesCountedPerSplit() {
    Path train = Files2.write(tmp.resolve("train.txt"), "a;r;b\na;r;b\na;r;b\nb;r;c\n");
    Path test = Files2.write(tmp.resolve("test.txt"), "a;r;d\na;r;d\nd;s;e\nc;r;a\n");
    Cli.Result result =
        Cli.run("ingest", "--train", train.toString(), "--test", test.toString(), "--output", out().toString(), "--set", "ingest.delimiter=;");
    assertEquals(0, result.exitCode(), result.toString());
    JsonNode stats = Files2.json(out().resolve("stats.json"));
    assertEquals(2, stats.get("splits").get("train").get("duplicates_removed").asLong());
    assertEquals(2, stats.get("splits").get("train").get("triples").asLong());
    assertEquals(1, stats.get("splits").get("test").get("duplicates_removed").asLong());
    assertEquals(3, stats.get("splits").get("test").get("triples").asLong());
    assertFalse(stats.get("splits").has("valid"));
    assertEquals(5, stats.get("entities").asLong());
    assertEquals(2, stats.get("relations").asLong());
    JsonNode unseen = stats.get("unseen_entities");
    assertEquals(2, unseen.get("entities").asLong()); // d and e
    assertEquals(2, unseen.get("test_triples").asLong()); // a r d, d s e
    JsonNode degree = stats.get("train_degree");
    assertEquals(3, degree.get("entities").asLong());
    assertEquals(1, degree.get("min").asLong());
    assertEquals(2, degree.get("max").asLong());
    assertEquals(4.0 / 3, degree.get("mean").asDouble(), 1e-9);
    assertEquals(1, degree.get("median").asLong());
    assertTrue(Files.isDirectory(out().resolve("triples/test")));
  }

  private static final String NTRIPLES =
      "# a comment\n"
          + "<http://x/a> <http://x/knows> <http://x/b> .\n"
          + "_:n1 <http://x/knows> <http://x/a> . # trailing comment\n"
          + "\n"
          + "<http://x/a> <http://x/name> \"A \\\"quoted\\\" name\"@en .\n"
          + "<http://x/b> <http://x/age> \"42\"^^<http://www.w3.org/2001/XMLSchema#int> .\n";

  @Test
  void nTriplesDropsLiteralsByDefaultAndCountsThem() {
    Path train = Files2write("train.nt", NTRIPLES);
    Cli.Result result = Cli.run("ingest", "--train", train.toString(), "--output", out().toString(), "--set", "ingest.format=ntriples");
    assertEquals(0, result.exitCode(), result.toString());
    assertEquals(List.of("_:n1|http://x/knows|http://x/a", "http://x/a|http://x/knows|http://x/b"), triples("train"));
    JsonNode split = Files2.json(out().resolve("stats.json")).get("splits").get("train");
    assertEquals(2, split.get("literal_triples_dropped").asLong());
    assertEquals(2, split.get("ignored_lines").asLong());
  }

  @Test
  void nTriplesLiteralsAsEntities() {
    Path train = Files2write("train.nt", NTRIPLES);
    Cli.Result result =
        Cli.run("ingest", "--train", train.toString(), "--output", out().toString(), "--set", "ingest.format=ntriples", "--set", "ingest.ntriples.literals=entity");
    assertEquals(0, result.exitCode(), result.toString());
    assertTrue(triples("train").contains("http://x/a|http://x/name|\"A \\\"quoted\\\" name\"@en"), triples("train").toString());
    assertTrue(triples("train").contains("http://x/b|http://x/age|\"42\"^^<http://www.w3.org/2001/XMLSchema#int>"));
  }

  @Test
  void nTriplesLiteralsRejected() {
    Path train = Files2write("train.nt", NTRIPLES);
    Cli.Result result =
        Cli.run("ingest", "--train", train.toString(), "--output", out().toString(), "--set", "ingest.format=ntriples", "--set", "ingest.ntriples.literals=reject");
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(result.err().contains("ingest: " + train + ":5: literal object (ingest.ntriples.literals = reject)\n"), result.toString());
  }

  @Test
  void malformedNTriples() {
    Path train = Files2write("train.nt", "<http://x/a> <http://x/knows> <http://x/b> .\n<http://x/a> <http://x/knows> <http://x/b>\n");
    Cli.Result result = Cli.run("ingest", "--train", train.toString(), "--output", out().toString(), "--set", "ingest.format=ntriples");
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(result.err().contains("ingest: " + train + ":2: malformed N-Triples: missing the final '.'\n"), result.toString());
  }

  @Test
  void parquetInputWithConfiguredColumns() throws Exception {
    SparkSession spark = SharedSpark.get();
    StructType schema =
        new StructType().add("s", DataTypes.StringType).add("p", DataTypes.IntegerType).add("o", DataTypes.StringType);
    Path input = tmp.resolve("in.parquet");
    spark.createDataFrame(List.of(RowFactory.create("a", 7, "b"), RowFactory.create("b", 7, "c"), RowFactory.create("b", 7, "c")), schema)
        .coalesce(1).write().parquet(input.toString());
    Cli.Result result =
        Cli.run("ingest", "--train", input.toString(), "--output", out().toString(), "--set", "ingest.format=parquet",
            "--set", "ingest.parquet.head-column=s", "--set", "ingest.parquet.relation-column=p", "--set", "ingest.parquet.tail-column=o");
    assertEquals(0, result.exitCode(), result.toString());
    assertEquals(List.of("a|7|b", "b|7|c"), triples("train"));
    assertEquals(1, Files2.json(out().resolve("stats.json")).get("splits").get("train").get("duplicates_removed").asLong());

    Path bad = tmp.resolve("bad.parquet");
    spark.createDataFrame(List.of(RowFactory.create("a", 7, "b"), RowFactory.create("b", 7, null)), schema)
        .coalesce(1).write().parquet(bad.toString());
    Path part;
    try (var files = Files.list(bad)) {
      part = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    Cli.Result failed =
        Cli.run("ingest", "--train", bad.toString(), "--output", tmp.resolve("out2").toString(), "--set", "ingest.format=parquet",
            "--set", "ingest.parquet.head-column=s", "--set", "ingest.parquet.relation-column=p", "--set", "ingest.parquet.tail-column=o");
    assertEquals(1, failed.exitCode(), failed.toString());
    assertTrue(failed.err().contains("ingest: " + part + ": empty tail field (column o)\n"), failed.toString());

    Cli.Result missingColumn =
        Cli.run("ingest", "--train", bad.toString(), "--output", tmp.resolve("out3").toString(), "--set", "ingest.format=parquet");
    assertEquals(1, missingColumn.exitCode(), missingColumn.toString());
    assertTrue(missingColumn.err().contains("ingest: " + bad + ": no column 'head' (columns: s, p, o; see ingest.parquet.*)"), missingColumn.toString());
  }

  private Path Files2write(String name, String text) {
    return Files2.write(tmp.resolve(name), text);
  }
}
