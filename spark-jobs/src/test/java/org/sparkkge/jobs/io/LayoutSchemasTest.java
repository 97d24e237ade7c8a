package org.sparkkge.jobs.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.SharedSpark;

/**
 * The fixed schemas that {@link Layout#read} gives Spark instead of a footer job are the schemas
 * ingest writes (names, order and types; Spark reads every file column as nullable), and
 * Layout.read returns the rows the inferring read does.
 */
class LayoutSchemasTest {
  @TempDir Path tmp;

  @Test
  void fixedSchemasAreTheWrittenOnes() throws Exception {
    Path out = tmp.resolve("out");
    Cli.ingest(Cli.repoRoot().resolve("data/umls"), out);
    SparkSession spark = SharedSpark.get();
    OutputDirectory output =
        OutputDirectory.at(out.toString(), spark.sparkContext().hadoopConfiguration());
    for (String dataset :
        List.of(
            Layout.TRAIN_TRIPLES,
            Layout.VALID_TRIPLES,
            Layout.TEST_TRIPLES,
            Layout.ENTITIES,
            Layout.RELATIONS)) {
      String path = out.resolve(dataset).toString();
      assertEquals(
          columns(spark.read().parquet(path).schema().fields()),
          columns(Layout.schemaOf(dataset).fields()),
          dataset);
      assertEquals(
          new HashSet<>(spark.read().parquet(path).collectAsList()),
          new HashSet<>(Layout.read(spark, output, dataset).collectAsList()),
          dataset);
    }
    assertThrows(IllegalArgumentException.class, () -> Layout.read(spark, output, Layout.TOKENS));
  }

  private static List<String> columns(StructField[] fields) {
    return Arrays.stream(fields).map(f -> f.name() + " " + f.dataType()).toList();
  }
}
