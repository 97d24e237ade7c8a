package org.sparkkge.jobs.ingest;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.HadoopPaths;

/**
 * Small TSV files of named triples that later stages read beside the ingested graph (the triples of
 * entities added after training, the test triples about them): parsed as ingest parses TSV, so that
 * a bad line stops the stage naming its file, line and reason, and resolved to ids by name.
 */
public final class NamedTriples {
  private NamedTriples() {}

  /**
   * The triples of a TSV file (head, relation, tail names; gzip allowed; blank lines skipped) as
   * (head_name, relation_name, tail_name). The first line that is not a triple, or a file that
   * cannot be read, fails with "{@code what}: FILE:LINE: REASON".
   */
  public static Dataset<Row> read(SparkSession spark, String path, String what) {
    // resolved as ingest resolves its inputs (a relative path against the default file system)
    Path file = HadoopPaths.qualify(path, spark.sparkContext().hadoopConfiguration());
    try {
      if (!file.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(file)) {
        throw new PipelineException(what + ": " + HadoopPaths.display(file) + " does not exist");
      }
    } catch (IOException e) {
      throw new PipelineException(
          what + ": cannot read " + HadoopPaths.display(file) + ": " + e.getMessage(), e);
    }
    Dataset<Row> lines =
        TextTripleSource.read(
            spark,
            file,
            new DelimitedLineParser("\t", false, List.of("head", "relation", "tail")),
            false,
            0);
    Row bad =
        lines
            .filter(
                col("status")
                    .equalTo(ParsedLines.REJECTED)
                    .or(col("status").equalTo(ParsedLines.READ_FAILED)))
            .orderBy(col("file").asc_nulls_first(), col("line").asc_nulls_first())
            .select("file", "line", "reason")
            .limit(1)
            .collectAsList()
            .stream()
            .findFirst()
            .orElse(null);
    if (bad != null) {
      throw new PipelineException(
          what
              + ": "
              + bad.getString(0)
              + (bad.isNullAt(1) ? "" : ":" + bad.getLong(1))
              + ": "
              + bad.getString(2));
    }
    return lines
        .filter(col("status").equalTo(ParsedLines.TRIPLE))
        .select(
            col("head").as("head_name"),
            col("relation").as("relation_name"),
            col("tail").as("tail_name"));
  }

  /**
   * {@code named} (head_name, relation_name, tail_name) as (head, relation, tail) ids through the
   * dictionaries {@code entities} and {@code relations} (id, name). A name in neither fails with
   * "{@code what}: entity|relation 'NAME' ... (REASON)", the first by name.
   */
  public static Dataset<Row> resolve(
      Dataset<Row> named,
      Dataset<Row> entities,
      Dataset<Row> relations,
      String what,
      String unknownReason) {
    failOnUnknown(
        named.select(col("relation_name").as("name")), relations, "relation", what, unknownReason);
    failOnUnknown(
        named.select(col("head_name").as("name")).union(named.select(col("tail_name").as("name"))),
        entities,
        "entity",
        what,
        unknownReason);
    Dataset<Row> heads = entities.select(col("id").as("head"), col("name").as("head_name"));
    Dataset<Row> tails = entities.select(col("id").as("tail"), col("name").as("tail_name"));
    Dataset<Row> rels = relations.select(col("id").as("relation"), col("name").as("relation_name"));
    return named
        .join(heads, "head_name")
        .join(rels, "relation_name")
        .join(tails, "tail_name")
        .select("head", "relation", "tail");
  }

  private static void failOnUnknown(
      Dataset<Row> names, Dataset<Row> dictionary, String kind, String what, String reason) {
    List<Row> unknown =
        names
            .join(dictionary, new String[] {"name"}, "left_anti")
            .select("name")
            .orderBy("name")
            .limit(1)
            .collectAsList();
    if (!unknown.isEmpty()) {
      throw new PipelineException(
          what + ": " + kind + " '" + unknown.get(0).getString(0) + "' " + reason);
    }
  }
}
