package org.sparkkge.jobs.graph;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.sparkkge.jobs.SharedSpark;

/** Reads the small Parquet outputs of a test run into plain Java collections. */
final class GraphTestData {
  private GraphTestData() {}

  static List<Row> rows(Path out, String dataset) {
    return SharedSpark.get().read().parquet(out.resolve(dataset).toString()).collectAsList();
  }

  /** "name TYPE, ..." of a dataset, e.g. "id int, anchors array<int>". */
  static String schema(Path out, String dataset) {
    List<String> fields = new ArrayList<>();
    for (StructField field :
        SharedSpark.get().read().parquet(out.resolve(dataset).toString()).schema().fields()) {
      fields.add(field.name() + " " + field.dataType().simpleString());
    }
    return String.join(", ", fields);
  }

  static Map<Integer, Integer> intMap(Path out, String dataset) {
    Map<Integer, Integer> map = new HashMap<>();
    for (Row row : rows(out, dataset)) {
      if (map.put(row.getInt(0), row.getInt(1)) != null) {
        throw new AssertionError(dataset + ": id " + row.getInt(0) + " appears twice");
      }
    }
    return map;
  }

  /** Triples as sorted "h r t" strings (a multiset, so duplicates would show). */
  static List<String> triples(Path out, String dataset) {
    List<String> triples = new ArrayList<>();
    for (Row row :
        SharedSpark.get()
            .read()
            .parquet(out.resolve(dataset).toString())
            .select("head", "relation", "tail")
            .collectAsList()) {
      triples.add(row.getInt(0) + " " + row.getInt(1) + " " + row.getInt(2));
    }
    triples.sort(null);
    return triples;
  }

  static int[] ints(Row row, String field) {
    List<Integer> values = row.getList(row.fieldIndex(field));
    return values.stream().mapToInt(Integer::intValue).toArray();
  }
}
