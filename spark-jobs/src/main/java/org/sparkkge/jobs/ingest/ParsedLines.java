package org.sparkkge.jobs.ingest;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Schema of the parsed input of one split: a valid triple (status 0, head/relation/tail set) or a
 * line that is not a triple, each with where it came from. {@code line} is 1-based; null for
 * Parquet rows. A {@link #READ_FAILED} row is not a line: its input could not be read on from there
 * (file, and line when known, with the reason), see {@link ReadFailures}.
 */
public final class ParsedLines {
  public static final int TRIPLE = 0;
  public static final int REJECTED = 1;
  public static final int IGNORED = 2;
  public static final int LITERAL_DROPPED = 3;
  public static final int READ_FAILED = 4;

  public static final StructType SCHEMA =
      new StructType()
          .add("status", DataTypes.IntegerType, false)
          .add("head", DataTypes.StringType, true)
          .add("relation", DataTypes.StringType, true)
          .add("tail", DataTypes.StringType, true)
          .add("file", DataTypes.StringType, true)
          .add("line", DataTypes.LongType, true)
          .add("reason", DataTypes.StringType, true)
          .add("text", DataTypes.StringType, true);

  private ParsedLines() {}
}
