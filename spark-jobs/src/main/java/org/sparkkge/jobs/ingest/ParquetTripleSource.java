package org.sparkkge.jobs.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.HadoopPaths;

/**
 * Reads triples from Parquet (a file or a directory of parts) with configurable column names.
 * Non-string columns are cast to strings. A null or blank value rejects the row; Parquet rows have
 * no stable line number, so rejects carry the file only (line null). Parquet is read by Spark SQL's
 * own tasks, so a file that cannot be read fails its task (Spark retries it spark.task.maxFailures
 * times) before {@link #readFailure} turns the job's failure into the one-line error.
 */
public final class ParquetTripleSource {
  private ParquetTripleSource() {}

  public static Dataset<Row> read(
      SparkSession spark, Path path, String headColumn, String relationColumn, String tailColumn) {
    Dataset<Row> input = spark.read().parquet(path.toString());
    List<String> available = Arrays.asList(input.columns());
    for (String column : List.of(headColumn, relationColumn, tailColumn)) {
      if (!available.contains(column)) {
        throw new PipelineException(
            "ingest: "
                + HadoopPaths.display(path)
                + ": no column '"
                + column
                + "' (columns: "
                + String.join(", ", available)
                + "; see ingest.parquet.*)");
      }
    }
    Column head = col(headColumn).cast(DataTypes.StringType);
    Column relation = col(relationColumn).cast(DataTypes.StringType);
    Column tail = col(tailColumn).cast(DataTypes.StringType);
    Column reason =
        when(blank(head), lit("empty head field (column " + headColumn + ")"))
            .when(blank(relation), lit("empty relation field (column " + relationColumn + ")"))
            .when(blank(tail), lit("empty tail field (column " + tailColumn + ")"));
    Dataset<Row> withReason =
        input.select(
            head.as("head"),
            relation.as("relation"),
            tail.as("tail"),
            regexp_replace(input_file_name(), "^file:(//)?", "").as("file"),
            reason.as("reason"));
    return withReason.select(
        when(col("reason").isNull(), lit(ParsedLines.TRIPLE))
            .otherwise(lit(ParsedLines.REJECTED))
            .as("status"),
        col("head"),
        col("relation"),
        col("tail"),
        col("file"),
        lit(null).cast(DataTypes.LongType).as("line"),
        col("reason"),
        when(col("reason").isNull(), lit(null).cast(DataTypes.StringType))
            .otherwise(concat_ws("\t", col("head"), col("relation"), col("tail")))
            .as("text"));
  }

  /**
   * The one-line error for a failure while reading Parquet input: the file Spark names in its error
   * (FAILED_READ_FILE's path), else the input, and the innermost cause.
   */
  static PipelineException readFailure(Path input, Exception error) {
    String file = HadoopPaths.display(input);
    Throwable root = error;
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SparkThrowable thrown
          && thrown.getMessageParameters() != null
          && thrown.getMessageParameters().get("path") != null) {
        file = HadoopPaths.display(thrown.getMessageParameters().get("path"));
      }
      root = t;
    }
    return new PipelineException(
        "ingest: " + file + ": cannot read Parquet: " + ReadFailures.describe(root), error);
  }

  private static Column blank(Column value) {
    return value.isNull().or(trim(value).equalTo(""));
  }
}
