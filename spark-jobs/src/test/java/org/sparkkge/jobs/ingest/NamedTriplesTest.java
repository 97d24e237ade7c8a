package org.sparkkge.jobs.ingest;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.SharedSpark;

/**
 * Named triples read beside the graph (export.new-triples, evaluate.new-entity-test): read through
 * a union, as the export numbers the names of both columns, every line keeps its own number, and a
 * bad line is reported with its file and line.
 */
class NamedTriplesTest {
  @TempDir java.nio.file.Path tmp;

  @Test
  void linesReadThroughAUnionKeepTheirNumbersAndABadLineIsNamed() throws Exception {
    SparkSession spark = SharedSpark.get();
    StringBuilder tsv = new StringBuilder();
    for (int i = 0; i < 3000; i++)
      tsv.append("h").append(i).append("\tr\tt").append(i).append('\n');
    java.nio.file.Path file = Files2.write(tmp.resolve("new.tsv"), tsv.toString());
    Dataset<Row> raw = NamedTriples.read(spark, file.toString(), "test");
    // the second half of a union runs as tasks whose partition ids follow the first half's
    Dataset<Row> names =
        raw.select(col("head_name").as("name")).union(raw.select(col("tail_name").as("name")));
    assertEquals(6000, names.distinct().count());

    // several splits (16 KiB each), each read through a union: line numbers stay exact
    Dataset<Row> lines =
        TextTripleSource.read(
            spark,
            new Path(file.toString()),
            new DelimitedLineParser("\t", false, List.of("head", "relation", "tail")),
            false,
            16 * 1024);
    Dataset<Row> both = lines.union(lines);
    List<Row> last = both.filter(col("head").equalTo("h2999")).select("line").collectAsList();
    assertEquals(2, last.size());
    assertEquals(3000L, last.get(0).getLong(0));
    assertEquals(3000L, last.get(1).getLong(0));

    tsv.append("h\tr\n");
    java.nio.file.Path bad = Files2.write(tmp.resolve("bad.tsv"), tsv.toString());
    PipelineException e =
        assertThrows(
            PipelineException.class, () -> NamedTriples.read(spark, bad.toString(), "what"));
    assertTrue(
        e.getMessage().startsWith("what: ")
            && e.getMessage().endsWith("bad.tsv:3001: expected 3 fields, found 2"),
        e.getMessage());
    PipelineException missing =
        assertThrows(
            PipelineException.class,
            () -> NamedTriples.read(spark, tmp.resolve("none.tsv").toString(), "what"));
    assertTrue(missing.getMessage().endsWith("none.tsv does not exist"), missing.getMessage());
  }
}
