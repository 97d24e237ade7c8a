package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.sparkkge.jobs.ingest.IngestOptions;

/**
 * CSV with quotes and a header, N-Triples literal policies, Parquet input, duplicates, unseen
 * entities.
 */
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
        .sql(
            "SELECT concat(h.name, '|', r.name, '|', x.name) FROM t JOIN e h ON t.head = h.id JOIN r ON t.relation = r.id JOIN e x ON t.tail = x.id")
        .collectAsList()
        .stream()
        .map(row -> row.getString(0))
        .sorted()
        .collect(Collectors.toList());
  }

  private Map<Integer, String> dictionary(String name) {
    Map<Integer, String> map = new TreeMap<>();
    for (Row row :
        SharedSpark.get().read().parquet(out().resolve(name).toString()).collectAsList()) {
      map.put(row.getInt(0), row.getString(1));
    }
    return map;
  }

  @Test
  void csvWithHeaderQuotesAndColumnOrder() {
    Path train =
        Files2.write(
            tmp.resolve("train.csv"),
            "tail,head,relation\n\"b, Inc.\",a,likes\n\"say \"\"hi\"\"\",b,says\nb,a,likes\n");
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            train.toString(),
            "--output",
            out().toString(),
            "--set",
            "ingest.format=csv",
            "--set",
            "ingest.header=true",
            "--set",
            "ingest.columns=[tail, head, relation]");
    assertEquals(0, result.exitCode(), result.toString());
    assertEquals(List.of("a|likes|b", "a|likes|b, Inc.", "b|says|say \"hi\""), triples("train"));
    assertEquals(Map.of(0, "a", 1, "b", 2, "b, Inc.", 3, "say \"hi\""), dictionary("entities"));
    assertEquals(Map.of(0, "likes", 1, "says"), dictionary("relations"));
    assertEquals(
        1,
        Files2.json(out().resolve("stats.json"))
            .get("splits")
            .get("train")
            .get("ignored_lines")
            .asLong());
  }

  @Test
  void customDelimiterAndDuplicatesCountedPerSplit() {
    Path train = Files2.write(tmp.resolve("train.txt"), "a;r;b\na;r;b\na;r;b\nb;r;c\n");
    Path test = Files2.write(tmp.resolve("test.txt"), "a;r;d\na;r;d\nd;s;e\nc;r;a\n");
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            train.toString(),
            "--test",
            test.toString(),
            "--output",
            out().toString(),
            "--set",
            "ingest.delimiter=;");
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
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            train.toString(),
            "--output",
            out().toString(),
            "--set",
            "ingest.format=ntriples");
    assertEquals(0, result.exitCode(), result.toString());
    assertEquals(
        List.of("_:n1|http://x/knows|http://x/a", "http://x/a|http://x/knows|http://x/b"),
        triples("train"));
    JsonNode split = Files2.json(out().resolve("stats.json")).get("splits").get("train");
    assertEquals(2, split.get("literal_triples_dropped").asLong());
    assertEquals(2, split.get("ignored_lines").asLong());
  }

  @Test
  void nTriplesLiteralsAsEntities() {
    Path train = Files2write("train.nt", NTRIPLES);
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            train.toString(),
            "--output",
            out().toString(),
            "--set",
            "ingest.format=ntriples",
            "--set",
            "ingest.ntriples.literals=entity");
    assertEquals(0, result.exitCode(), result.toString());
    assertTrue(
        triples("train").contains("http://x/a|http://x/name|\"A \\\"quoted\\\" name\"@en"),
        triples("train").toString());
    assertTrue(
        triples("train")
            .contains("http://x/b|http://x/age|\"42\"^^<http://www.w3.org/2001/XMLSchema#int>"));
  }

  @Test
  void nTriplesLiteralsRejected() {
    Path train = Files2write("train.nt", NTRIPLES);
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            train.toString(),
            "--output",
            out().toString(),
            "--set",
            "ingest.format=ntriples",
            "--set",
            "ingest.ntriples.literals=reject");
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(
        result
            .err()
            .contains(
                "ingest: " + train + ":5: literal object (ingest.ntriples.literals = reject)\n"),
        result.toString());
  }

  @Test
  void malformedNTriples() {
    Path train =
        Files2write(
            "train.nt",
            "<http://x/a> <http://x/knows> <http://x/b> .\n<http://x/a> <http://x/knows> <http://x/b>\n");
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            train.toString(),
            "--output",
            out().toString(),
            "--set",
            "ingest.format=ntriples");
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(
        result
            .err()
            .contains("ingest: " + train + ":2: malformed N-Triples: missing the final '.'\n"),
        result.toString());
  }

  @Test
  void parquetInputWithConfiguredColumns() throws Exception {
    SparkSession spark = SharedSpark.get();
    StructType schema =
        new StructType()
            .add("s", DataTypes.StringType)
            .add("p", DataTypes.IntegerType)
            .add("o", DataTypes.StringType);
    Path input = tmp.resolve("in.parquet");
    spark
        .createDataFrame(
            List.of(
                RowFactory.create("a", 7, "b"),
                RowFactory.create("b", 7, "c"),
                RowFactory.create("b", 7, "c")),
            schema)
        .coalesce(1)
        .write()
        .parquet(input.toString());
    Cli.Result result =
        Cli.run(
            "ingest",
            "--train",
            input.toString(),
            "--output",
            out().toString(),
            "--set",
            "ingest.format=parquet",
            "--set",
            "ingest.parquet.head-column=s",
            "--set",
            "ingest.parquet.relation-column=p",
            "--set",
            "ingest.parquet.tail-column=o");
    assertEquals(0, result.exitCode(), result.toString());
    assertEquals(List.of("a|7|b", "b|7|c"), triples("train"));
    assertEquals(
        1,
        Files2.json(out().resolve("stats.json"))
            .get("splits")
            .get("train")
            .get("duplicates_removed")
            .asLong());

    Path bad = tmp.resolve("bad.parquet");
    spark
        .createDataFrame(
            List.of(RowFactory.create("a", 7, "b"), RowFactory.create("b", 7, null)), schema)
        .coalesce(1)
        .write()
        .parquet(bad.toString());
    Path part;
    try (var files = Files.list(bad)) {
      part = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    Cli.Result failed =
        Cli.run(
            "ingest",
            "--train",
            bad.toString(),
            "--output",
            tmp.resolve("out2").toString(),
            "--set",
            "ingest.format=parquet",
            "--set",
            "ingest.parquet.head-column=s",
            "--set",
            "ingest.parquet.relation-column=p",
            "--set",
            "ingest.parquet.tail-column=o");
    assertEquals(1, failed.exitCode(), failed.toString());
    assertTrue(
        failed.err().contains("ingest: " + part + ": empty tail field (column o)\n"),
        failed.toString());

    Cli.Result missingColumn =
        Cli.run(
            "ingest",
            "--train",
            bad.toString(),
            "--output",
            tmp.resolve("out3").toString(),
            "--set",
            "ingest.format=parquet");
    assertEquals(1, missingColumn.exitCode(), missingColumn.toString());
    assertTrue(
        missingColumn
            .err()
            .contains(
                "ingest: " + bad + ": no column 'head' (columns: s, p, o; see ingest.parquet.*)"),
        missingColumn.toString());
  }

  /**
   * One triple (a, r, b) in the syntax of a format; only that format's parser reads it as a triple.
   */
  private static String triple(String format, String a, String r, String b) {
    return switch (format) {
      case "ntriples" -> "<http://x/" + a + "> <http://x/" + r + "> <http://x/" + b + "> .\n";
      case "csv" -> a + "," + r + "," + b + "\n";
      default -> a + "\t" + r + "\t" + b + "\n";
    };
  }

  private void writeParquet(Path dir, String a, String r, String b) {
    SparkSession spark = SharedSpark.get();
    StructType schema =
        new StructType()
            .add("head", DataTypes.StringType)
            .add("relation", DataTypes.StringType)
            .add("tail", DataTypes.StringType);
    spark
        .createDataFrame(List.of(RowFactory.create(a, r, b)), schema)
        .coalesce(1)
        .write()
        .parquet(dir.toString());
  }

  private JsonNode ingestAuto(Path train, Path valid, Path test, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "ingest",
                "--train",
                train.toString(),
                "--valid",
                valid.toString(),
                "--test",
                test.toString(),
                "--output",
                out().toString(),
                "--overwrite"));
    args.addAll(List.of(extra));
    Cli.Result result = Cli.run(args.toArray(String[]::new));
    assertEquals(0, result.exitCode(), result.toString());
    JsonNode splits = Files2.json(out().resolve("stats.json")).get("splits");
    for (String split : List.of("train", "valid", "test")) {
      assertEquals(
          1, splits.get(split).get("triples").asLong(), split + " read as one triple: " + result);
      assertEquals(0, splits.get(split).get("rejected").asLong(), split + ": " + result);
    }
    return splits;
  }

  private static List<String> formats(JsonNode splits) {
    return List.of(
        splits.get("train").get("format").asText(),
        splits.get("valid").get("format").asText(),
        splits.get("test").get("format").asText());
  }

  /**
   * ingest.format = auto (the default): every split's format from its extension, even when they
   * differ.
   */
  @Test
  void formatFromTheExtension() {
    JsonNode first =
        ingestAuto(
            Files2write("a.nt.gz", triple("ntriples", "a", "r", "b")),
            Files2write("b.csv", triple("csv", "b", "r", "c")),
            Files2write("c.tsv.gz", triple("tsv", "c", "r", "a")));
    assertEquals(List.of("ntriples", "csv", "tsv"), formats(first));
    assertEquals(List.of("c|r|a"), triples("test"));

    JsonNode second =
        ingestAuto(
            Files2write("d.TXT", triple("tsv", "a", "r", "b")),
            Files2write("e.csv.gz", triple("csv", "b", "r", "c")),
            Files2write("f.nt", triple("ntriples", "c", "r", "a")));
    assertEquals(List.of("tsv", "csv", "ntriples"), formats(second));
    assertEquals(List.of("http://x/c|http://x/r|http://x/a"), triples("test"));

    Path named = tmp.resolve("g.parquet");
    writeParquet(named, "a", "r", "b");
    Path parts =
        tmp.resolve("parts"); // a directory without extension: its part-*.parquet files decide
    writeParquet(parts, "b", "r", "c");
    JsonNode third =
        ingestAuto(named, parts, Files2write("h.txt.gz", triple("tsv", "c", "r", "a")));
    assertEquals(List.of("parquet", "parquet", "tsv"), formats(third));
    assertEquals(List.of("b|r|c"), triples("valid"));

    // an unknown extension is read as tsv; an explicit ingest.format wins over any extension
    JsonNode fourth =
        ingestAuto(
            Files2write("i.dat", triple("tsv", "a", "r", "b")),
            Files2write("j.csv", triple("tsv", "b", "r", "c")),
            Files2write("k.nt", triple("tsv", "c", "r", "a")),
            "--set",
            "ingest.format=tsv");
    assertEquals(List.of("tsv", "tsv", "tsv"), formats(fourth));
    assertEquals(List.of("c|r|a"), triples("test"));
    Cli.Result unknown =
        Cli.run(
            "ingest",
            "--train",
            tmp.resolve("i.dat").toString(),
            "--output",
            out().toString(),
            "--overwrite");
    assertEquals(0, unknown.exitCode(), unknown.toString());
    assertTrue(
        unknown.err().contains("as tsv (no known extension (ingest.format = auto): tsv)"),
        unknown.toString());
  }

  @Test
  void extensionToFormat() {
    Map<String, IngestOptions.Format> expected =
        new TreeMap<>(
            Map.of(
                "x.nt", IngestOptions.Format.NTRIPLES,
                "x.NT.GZ", IngestOptions.Format.NTRIPLES,
                "x.parquet", IngestOptions.Format.PARQUET,
                "part-00000-1.snappy.parquet", IngestOptions.Format.PARQUET,
                "x.tsv", IngestOptions.Format.TSV,
                "x.tsv.gz", IngestOptions.Format.TSV,
                "x.txt", IngestOptions.Format.TSV,
                "x.txt.gz", IngestOptions.Format.TSV,
                "x.csv", IngestOptions.Format.CSV,
                "x.csv.gz", IngestOptions.Format.CSV));
    expected.forEach((name, format) -> assertEquals(format, IngestOptions.fromName(name), name));
    for (String unknown :
        List.of("x", "x.gz", "x.dat", "x.json", "part-00000", "x.nt.bz2", "x.parquet.gz")) {
      assertEquals(null, IngestOptions.fromName(unknown), unknown);
    }
  }

  private Path Files2write(String name, String text) {
    return Files2.write(tmp.resolve(name), text);
  }
}
