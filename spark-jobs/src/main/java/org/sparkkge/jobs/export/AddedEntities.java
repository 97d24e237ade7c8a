package org.sparkkge.jobs.export;

import static org.apache.spark.sql.functions.col;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.jobs.ingest.NamedTriples;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.OutputDirectory;

/**
 * export.new-triples read against the ingested dictionaries: the entity names of the file that are
 * not in entities/ get ids after the known ones, in name order ({@code names}: id, name), and the
 * file's triples as ids ({@code triples}: head, relation, tail). Its relations must be known. Both
 * are persisted: {@link #release} them when the export ends.
 */
record AddedEntities(Dataset<Row> names, Dataset<Row> triples) {
  static final String SETTING = "export.new-triples";

  static AddedEntities read(
      SparkSession spark, OutputDirectory output, Dataset<Row> entities, String path) {
    String what = "export: " + SETTING + " " + path;
    Dataset<Row> raw = NamedTriples.read(spark, path, what);
    long known = entities.count();
    Dataset<Row> fresh =
        raw.select(col("head_name").as("name"))
            .union(raw.select(col("tail_name").as("name")))
            .distinct()
            .join(entities, new String[] {"name"}, "left_anti")
            .orderBy("name");
    JavaRDD<Row> numbered =
        fresh
            .javaRDD()
            .zipWithIndex()
            .map(p -> RowFactory.create((int) (known + p._2()), p._1().getString(0)));
    Dataset<Row> added = spark.createDataFrame(numbered, Layout.DICTIONARY_SCHEMA);
    Dataset<Row> relations = Layout.read(spark, output, Layout.RELATIONS);
    Dataset<Row> triples =
        NamedTriples.resolve(
            raw,
            entities.select("id", "name").unionByName(added),
            relations,
            what,
            "is unknown to the trained model (new triples may add entities, not relations)");
    // both are read more than once (the placement or tokenization, then the written datasets):
    // kept rather than parsed, numbered and resolved again
    return new AddedEntities(
        added.persist(StorageLevel.MEMORY_AND_DISK()),
        triples.persist(StorageLevel.MEMORY_AND_DISK()));
  }

  /** Frees the kept names and triples. */
  void release() {
    names.unpersist(false);
    triples.unpersist(false);
  }

  /**
   * Writes the triples as ids ({@link Layout#NEW_TRIPLES}): what evaluate filters by, whatever
   * export.new-triples says when it runs.
   */
  void writeTriples(String path, String compression) {
    triples
        .select("head", "relation", "tail")
        .write()
        .option("compression", compression)
        .parquet(path);
  }
}
