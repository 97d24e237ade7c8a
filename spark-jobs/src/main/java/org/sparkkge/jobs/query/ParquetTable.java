package org.sparkkge.jobs.query;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.Type;
import org.sparkkge.jobs.PipelineException;

/**
 * Reads a Parquet dataset directory (Spark's part files) row by row with parquet-hadoop, without
 * Spark: small enough for a terminal query, and it works on any Hadoop file system.
 */
final class ParquetTable {
  /**
   * One row; {@code file} and {@code row} (0-based within the file) locate it for error messages.
   */
  interface RowConsumer {
    void accept(Group row, String file, long rowNumber) throws PipelineException;
  }

  private ParquetTable() {}

  /**
   * Part files of a dataset directory in name order (Spark's _SUCCESS, .crc and hidden files
   * skipped).
   */
  static List<Path> partFiles(Path dir, Configuration conf) {
    try {
      FileSystem fs = dir.getFileSystem(conf);
      if (!fs.exists(dir)) {
        throw new PipelineException(
            "neighbors: " + dir + " not found (written by the export stage)");
      }
      FileStatus[] statuses = fs.listStatus(dir);
      Arrays.sort(statuses, (a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      List<Path> parts = new ArrayList<>();
      for (FileStatus status : statuses) {
        String name = status.getPath().getName();
        if (status.isFile()
            && !name.startsWith("_")
            && !name.startsWith(".")
            && name.endsWith(".parquet")) {
          parts.add(status.getPath());
        }
      }
      return parts;
    } catch (IOException e) {
      throw new PipelineException("neighbors: cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  static void forEachRow(Path dir, Configuration conf, RowConsumer consumer) {
    for (Path part : partFiles(dir, conf)) {
      long row = 0;
      try (ParquetReader<Group> reader =
          ParquetReader.builder(new GroupReadSupport(), part).withConf(conf).build()) {
        for (Group group = reader.read(); group != null; group = reader.read()) {
          consumer.accept(group, part.toString(), row++);
        }
      } catch (IOException | RuntimeException e) {
        if (e instanceof PipelineException p) {
          throw p;
        }
        throw new PipelineException(
            "neighbors: " + part + ": row " + row + ": cannot read Parquet: " + e.getMessage(), e);
      }
    }
  }

  static boolean has(Group row, String field) {
    return row.getType().containsField(field);
  }

  /** True when a nullable field holds a value. */
  static boolean present(Group row, String field) {
    return has(row, field) && row.getFieldRepetitionCount(field) > 0;
  }

  /**
   * An ARRAY&lt;FLOAT&gt; column: Spark's standard three-level LIST (group / repeated group list /
   * element), or the legacy two-level form (group / repeated float array).
   */
  static float[] floatList(Group row, String field, String file, long rowNumber) {
    if (!present(row, field)) {
      throw new PipelineException(
          "neighbors: " + file + ": row " + rowNumber + ": " + field + " is null");
    }
    Group list = row.getGroup(field, 0);
    GroupType listType = list.getType();
    if (listType.getFieldCount() != 1) {
      throw new PipelineException(
          "neighbors: " + file + ": " + field + " is not a list column: " + listType);
    }
    Type repeated = listType.getType(0);
    int n = list.getFieldRepetitionCount(0);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      if (repeated.isPrimitive()) {
        values[i] = list.getFloat(0, i);
      } else {
        Group element = list.getGroup(0, i);
        if (element.getFieldRepetitionCount(0) == 0) {
          throw new PipelineException(
              "neighbors: " + file + ": row " + rowNumber + ": " + field + "[" + i + "] is null");
        }
        values[i] = element.getFloat(0, 0);
      }
    }
    return values;
  }
}
