package org.sparkkge.partitioner;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/** Shared plumbing: input validation, entity ids, the partition count. */
final class Graphs {
  private Graphs() {}

  static int partitions(SparkSession spark) {
    return Math.max(1, Integer.parseInt(spark.conf().get("spark.sql.shuffle.partitions", "8")));
  }

  /** Fails with the dataset name and the missing or mistyped column. */
  static void requireIntColumns(Dataset<Row> data, String name, String... columns) {
    for (String column : columns) {
      StructField field = null;
      for (StructField f : data.schema().fields()) {
        if (f.name().equals(column)) {
          field = f;
        }
      }
      if (field == null) {
        throw new IllegalArgumentException(
            name
                + ": missing column '"
                + column
                + "' (schema: "
                + data.schema().simpleString()
                + ")");
      }
      DataType type = field.dataType();
      if (!type.equals(DataTypes.IntegerType)) {
        throw new IllegalArgumentException(
            name + ": column '" + column + "' must be INT, found " + type.simpleString());
      }
    }
  }

  static void requireTriples(Dataset<Row> triples) {
    requireIntColumns(triples, "triples", "head", "relation", "tail");
  }

  /**
   * With numEntities > 0, fails unless every head and tail lies in 0..numEntities-1 (one
   * aggregation over the triples), so no triple can fall out of per-entity outputs silently.
   */
  static void requireEntityIdsBelow(Dataset<Row> triples, long numEntities) {
    if (numEntities <= 0) {
      return;
    }
    Row range =
        triples
            .agg(
                functions.min("head"),
                functions.max("head"),
                functions.min("tail"),
                functions.max("tail"))
            .first();
    if (range.isNullAt(0)) {
      return;
    }
    long low = Math.min(range.getInt(0), range.getInt(2));
    long high = Math.max(range.getInt(1), range.getInt(3));
    if (low < 0 || high >= numEntities) {
      throw new IllegalArgumentException(
          "triples: entity ids span "
              + low
              + ".."
              + high
              + " but the entity count is "
              + numEntities
              + " (ids must be dense 0.."
              + (numEntities - 1)
              + ")");
    }
  }

  /**
   * Every entity id: 0..numEntities-1 when known (> 0), otherwise the ids that occur in the
   * triples.
   */
  static Dataset<Row> entityIds(SparkSession spark, Dataset<Row> triples, long numEntities) {
    if (numEntities > 0) {
      return spark.range(numEntities).select(functions.col("id").cast("int").as("id"));
    }
    return triples
        .select(functions.col("head").as("id"))
        .union(triples.select(functions.col("tail").as("id")))
        .distinct();
  }
}
