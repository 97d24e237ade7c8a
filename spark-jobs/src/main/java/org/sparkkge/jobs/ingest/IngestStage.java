package org.sparkkge.jobs.ingest;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.bin;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.when;

import com.typesafe.config.Config;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.HadoopPaths;
import org.sparkkge.jobs.io.Json;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.ranking.RankingConfig;
import org.sparkkge.jobs.ranking.UnseenTriples;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Reads the input triples, dictionary-encodes entities and relations into dense int ids and writes
 * the Parquet datasets described in docs/outputs.md. Names and triples stay distributed: the
 * dictionaries are built by a distributed distinct, sort and zipWithIndex, and joined back.
 * Valid/test triples that also occur in train are counted (and dropped or refused, ingest.leakage),
 * and so are the valid/test entities, relations and triples that train does not have (unseen_*).
 */
public final class IngestStage implements Stage {
  public static final String NAME = Layout.INGEST;
  public static final List<String> SPLITS = List.of("train", "valid", "test");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "Read triples (TSV/CSV/N-Triples/Parquet), encode entities and relations as ids, write Parquet.";
  }

  @Override
  public boolean createsOutput() {
    return true;
  }

  @Override
  public boolean readsInputs() {
    return true;
  }

  @Override
  public void validate(Config config) {
    IngestOptions.from(config);
    RankingConfig.unseenPolicy(config); // ingest reports what evaluate.unseen will do
  }

  @Override
  public void run(StageContext context) throws Exception {
    IngestOptions options = IngestOptions.from(context.config());
    SparkSession spark = context.spark();
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();

    Map<String, Path> inputs = new LinkedHashMap<>();
    Map<String, IngestOptions.ResolvedFormat> formats = new LinkedHashMap<>();
    Map<String, String> locations =
        Map.of("train", options.train(), "valid", options.valid(), "test", options.test());
    for (String split : SPLITS) {
      String location = locations.get(split);
      if (location.isEmpty()) {
        continue;
      }
      Path path = HadoopPaths.qualify(location, hadoopConf);
      FileSystem fs = path.getFileSystem(hadoopConf);
      if (!fs.exists(path)) {
        throw new PipelineException(
            "ingest: "
                + HadoopPaths.display(path)
                + ": no such file or directory (input."
                + split
                + ")");
      }
      inputs.put(split, path);
      formats.put(split, options.formatOf(path, fs));
    }

    Map<String, Dataset<Row>> parsed = new LinkedHashMap<>();
    try {
      Map<String, Map<String, Long>> lineCounts = new LinkedHashMap<>();
      for (Map.Entry<String, Path> input : inputs.entrySet()) {
        String split = input.getKey();
        IngestOptions.ResolvedFormat format = formats.get(split);
        context
            .progress()
            .step(
                String.format(
                    Locale.ROOT,
                    "reading %s from %s as %s (%s)",
                    split,
                    HadoopPaths.display(input.getValue()),
                    format.format().name().toLowerCase(Locale.ROOT),
                    format.reason()));
        Dataset<Row> lines;
        try {
          lines =
              read(spark, options, format.format(), input.getValue())
                  .persist(StorageLevel.MEMORY_AND_DISK());
          parsed.put(split, lines);
          lineCounts.put(split, countByStatus(lines));
        } catch (PipelineException e) {
          throw e;
        } catch (Exception e) {
          if (format.format() != IngestOptions.Format.PARQUET) {
            throw e; // text input reports its read failures as rows (ReadFailures); this is
            // something else
          }
          throw ParquetTripleSource.readFailure(input.getValue(), e);
        }
        if (lineCounts.get(split).containsKey(READ_FAILURES)) {
          failOnFirst(
              lines, ParsedLines.READ_FAILED); // whatever ingest.on-error says: the rest is unread
        }
      }
      if (options.onError() == IngestOptions.OnError.FAIL) {
        failOnFirstReject(parsed, lineCounts);
      }
      long trainTriples = lineCounts.get("train").get("triples_read");
      if (trainTriples == 0) {
        long rejected = lineCounts.get("train").get("rejected");
        throw new PipelineException(
            "ingest: "
                + HadoopPaths.display(inputs.get("train"))
                + ": no triples in the training input"
                + (rejected > 0
                    ? " (all " + rejected + " data lines were rejected)"
                    : " (empty input)"));
      }
      Map<String, Long> leaked = leakedTriples(context, parsed);
      if (options.leakage() == IngestOptions.Leakage.FAIL) {
        failOnLeakage(parsed, leaked);
      }
      Map<String, Object> resolvedInputs = new LinkedHashMap<>();
      inputs.forEach((split, path) -> resolvedInputs.put(split, path.toString()));
      context.commitNewOutput(
          staging -> {
            Map<String, Object> counts =
                new LinkedHashMap<>(
                    write(context, options, formats, parsed, lineCounts, leaked, staging));
            counts.put(
                "inputs",
                resolvedInputs); // fully qualified, unlike relative paths in the configuration
            return counts;
          });
    } finally {
      parsed.values().forEach(Dataset::unpersist);
    }
  }

  private static Dataset<Row> read(
      SparkSession spark, IngestOptions options, IngestOptions.Format format, Path path) {
    if (format == IngestOptions.Format.PARQUET) {
      return ParquetTripleSource.read(
          spark, path, options.parquetHead(), options.parquetRelation(), options.parquetTail());
    }
    return TextTripleSource.read(
        spark, path, options.lineParser(format), options.header(), options.maxSplitBytes());
  }

  /**
   * Key of countByStatus's result when some input could not be read (never in stats.json: ingest
   * stops).
   */
  private static final String READ_FAILURES = "read_failures";

  private static Map<String, Long> countByStatus(Dataset<Row> lines) {
    long[] byStatus = new long[5];
    for (Row row : lines.groupBy("status").count().collectAsList()) {
      byStatus[row.getInt(0)] = row.getLong(1);
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    counts.put("lines", byStatus[0] + byStatus[1] + byStatus[2] + byStatus[3]);
    counts.put("triples_read", byStatus[ParsedLines.TRIPLE]);
    counts.put("rejected", byStatus[ParsedLines.REJECTED]);
    counts.put("ignored_lines", byStatus[ParsedLines.IGNORED]);
    counts.put("literal_triples_dropped", byStatus[ParsedLines.LITERAL_DROPPED]);
    if (byStatus[ParsedLines.READ_FAILED] > 0) {
      counts.put(READ_FAILURES, byStatus[ParsedLines.READ_FAILED]);
    }
    return counts;
  }

  /**
   * The first bad line in split order (train, valid, test), then by (file, line): deterministic.
   */
  private static void failOnFirstReject(
      Map<String, Dataset<Row>> parsed, Map<String, Map<String, Long>> counts) {
    for (Map.Entry<String, Dataset<Row>> entry : parsed.entrySet()) {
      if (counts.get(entry.getKey()).get("rejected") > 0) {
        failOnFirst(entry.getValue(), ParsedLines.REJECTED);
      }
    }
  }

  /**
   * Throws "ingest: FILE:LINE: REASON" for the first row of this status by (file, line); there must
   * be one.
   */
  private static void failOnFirst(Dataset<Row> lines, int status) {
    Row first =
        lines
            .filter(col("status").equalTo(status))
            .select("file", "line", "reason")
            .orderBy(col("file").asc_nulls_first(), col("line").asc_nulls_first())
            .limit(1)
            .collectAsList()
            .get(0);
    throw new PipelineException(
        "ingest: "
            + where(first.getString(0), first.isNullAt(1) ? null : first.getLong(1))
            + ": "
            + first.getString(2));
  }

  /**
   * FILE:LINE, or FILE when the line is not known (Parquet rows, a file that could not be opened).
   */
  static String where(String file, Long line) {
    return line == null ? file : file + ":" + line;
  }

  /**
   * The valid/test triples as read (names, with file and line), only those that are also training
   * triples.
   */
  private static Dataset<Row> inTrain(Dataset<Row> lines, Dataset<Row> trainLines) {
    Dataset<Row> train =
        tripleNames(trainLines)
            .select(
                col("head").as("train_head"),
                col("relation").as("train_relation"),
                col("tail").as("train_tail"));
    return lines
        .filter(col("status").equalTo(ParsedLines.TRIPLE))
        .join(
            train,
            col("head")
                .equalTo(col("train_head"))
                .and(col("relation").equalTo(col("train_relation")))
                .and(col("tail").equalTo(col("train_tail"))),
            "left_semi");
  }

  private static Dataset<Row> tripleNames(Dataset<Row> lines) {
    return lines
        .filter(col("status").equalTo(ParsedLines.TRIPLE))
        .select("head", "relation", "tail");
  }

  /**
   * Distinct valid and test triples that also occur in train ("leakage"), per held-out split
   * present: both splits in one join, so the training triples are shuffled once.
   */
  private static Map<String, Long> leakedTriples(
      StageContext context, Map<String, Dataset<Row>> parsed) {
    Map<String, Long> leaked = new LinkedHashMap<>();
    Dataset<Row> heldOut = null;
    for (String split : List.of("valid", "test")) {
      if (parsed.containsKey(split)) {
        leaked.put(split, 0L);
        Dataset<Row> distinct =
            tripleNames(parsed.get(split)).distinct().withColumn("split", lit(split));
        heldOut = heldOut == null ? distinct : heldOut.union(distinct);
      }
    }
    if (heldOut == null) {
      return leaked;
    }
    context
        .progress()
        .step(
            "counting "
                + String.join(" and ", leaked.keySet())
                + " triples that also occur in train");
    Seq<String> keys = CollectionConverters.asScala(List.of("head", "relation", "tail")).toSeq();
    for (Row row :
        heldOut
            .join(tripleNames(parsed.get("train")), keys, "left_semi")
            .groupBy("split")
            .count()
            .collectAsList()) {
      leaked.put(row.getString(0), row.getLong(1));
    }
    return leaked;
  }

  /**
   * ingest.leakage = fail: the count and the first leaked triple (valid before test, then file and
   * line).
   */
  private static void failOnLeakage(Map<String, Dataset<Row>> parsed, Map<String, Long> leaked) {
    long total = leaked.values().stream().mapToLong(Long::longValue).sum();
    if (total == 0) {
      return;
    }
    for (Map.Entry<String, Long> split : leaked.entrySet()) {
      if (split.getValue() == 0) {
        continue;
      }
      Row first =
          inTrain(parsed.get(split.getKey()), parsed.get("train"))
              .select("file", "line", "head", "relation", "tail")
              .orderBy(col("file").asc_nulls_first(), col("line").asc_nulls_first())
              .limit(1)
              .collectAsList()
              .get(0);
      StringBuilder perSplit = new StringBuilder();
      leaked.forEach(
          (name, count) ->
              perSplit
                  .append(perSplit.length() == 0 ? "" : ", ")
                  .append(name)
                  .append(' ')
                  .append(count));
      throw new PipelineException(
          String.format(
              Locale.ROOT,
              "ingest: %s: triple (%s, %s, %s) also occurs in the training input; %,d valid/test triples do (%s); "
                  + "ingest.leakage = fail",
              where(first.getString(0), first.isNullAt(1) ? null : first.getLong(1)),
              first.getString(2),
              first.getString(3),
              first.getString(4),
              total,
              perSplit));
    }
  }

  private static Map<String, Object> write(
      StageContext context,
      IngestOptions options,
      Map<String, IngestOptions.ResolvedFormat> formats,
      Map<String, Dataset<Row>> parsed,
      Map<String, Map<String, Long>> lineCounts,
      Map<String, Long> leaked,
      Path staging)
      throws Exception {
    SparkSession spark = context.spark();
    String compression = options.compression();

    boolean dropLeaked = options.leakage() == IngestOptions.Leakage.DROP;
    Map<String, Long> leakedRemoved = new LinkedHashMap<>();
    Map<String, Dataset<Row>> triples = new LinkedHashMap<>();
    Dataset<Row> all = null;
    for (Map.Entry<String, Dataset<Row>> entry : parsed.entrySet()) {
      String split = entry.getKey();
      Dataset<Row> valid = tripleNames(entry.getValue());
      if (leaked.containsKey(split)) {
        long removed = dropLeaked ? leaked.get(split) : 0;
        if (removed > 0) {
          Dataset<Row> train = tripleNames(parsed.get("train"));
          valid =
              valid.join(
                  train,
                  CollectionConverters.asScala(List.of("head", "relation", "tail")).toSeq(),
                  "left_anti");
        }
        leakedRemoved.put(split, removed);
      }
      triples.put(split, valid);
      all = all == null ? valid : all.union(valid);
    }

    context.progress().step("building the entity and relation dictionaries");
    Path entitiesPath = new Path(staging, Layout.ENTITIES);
    Path relationsPath = new Path(staging, Layout.RELATIONS);
    Dataset<Row> entityNames =
        all.select(col("head").as("name")).union(all.select(col("tail").as("name"))).distinct();
    writeDictionary(spark, entityNames, entitiesPath, compression);
    writeDictionary(
        spark, all.select(col("relation").as("name")).distinct(), relationsPath, compression);
    Dataset<Row> entities = Layout.read(spark, entitiesPath, Layout.ENTITIES);
    Dataset<Row> relations = Layout.read(spark, relationsPath, Layout.RELATIONS);

    Map<String, Dataset<Row>> encoded = new LinkedHashMap<>();
    for (Map.Entry<String, Dataset<Row>> entry : triples.entrySet()) {
      String split = entry.getKey();
      context.progress().step("encoding " + split);
      Path target = new Path(staging, Layout.triples(split));
      encode(entry.getValue(), entities, relations)
          .distinct()
          .write()
          .option("compression", compression)
          .parquet(target.toString());
      encoded.put(split, Layout.read(spark, target, Layout.triples(split)));
    }
    context.progress().step("counting what was written");
    Map<String, Dataset<Row>> written = new LinkedHashMap<>(encoded);
    written.put(Layout.ENTITIES, entities);
    written.put(Layout.RELATIONS, relations);
    Map<String, Long> rows = rowCounts(written);

    Map<String, Object> splitStats = new LinkedHashMap<>();
    for (String split : encoded.keySet()) {
      Map<String, Object> stats = new LinkedHashMap<>();
      stats.put("format", formats.get(split).format().name().toLowerCase(Locale.ROOT));
      stats.putAll(lineCounts.get(split));
      long writtenCount = rows.get(split);
      long removed = leakedRemoved.getOrDefault(split, 0L);
      stats.put(
          "duplicates_removed", lineCounts.get(split).get("triples_read") - writtenCount - removed);
      if (leakedRemoved.containsKey(split)) {
        stats.put("leaked_triples_removed", removed);
      }
      stats.put("triples", writtenCount);
      splitStats.put(split, stats);
    }

    long rejected = lineCounts.values().stream().mapToLong(c -> c.get("rejected")).sum();
    if (options.onError() == IngestOptions.OnError.SKIP) {
      context.progress().step("writing " + rejected + " rejected lines");
      writeRejects(parsed, new Path(staging, Layout.REJECTS), options.rejectsFormat());
    }

    context.progress().step("computing statistics");
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("splits", splitStats);
    stats.put("entities", rows.get(Layout.ENTITIES));
    stats.put("relations", rows.get(Layout.RELATIONS));
    stats.put("rejected_lines", rejected);
    if (!leaked.isEmpty()) {
      Map<String, Object> leakage = new LinkedHashMap<>();
      leakage.put("policy", options.leakage().name().toLowerCase(Locale.ROOT));
      leaked.forEach((split, count) -> leakage.put(split + "_triples", count));
      stats.put("leakage", leakage);
    }
    // Used by several statistics: computed once (distributed, one row per training entity).
    Dataset<Row> trainDegrees =
        degrees(encoded.get("train")).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      stats.put("train_degree", degreeSummary(trainDegrees));
      stats.put("train_degree_histogram", degreeHistogram(trainDegrees));
      stats.putAll(unseen(encoded, trainDegrees));
    } finally {
      trainDegrees.unpersist();
    }

    Path statsPath = new Path(staging, Layout.STATS_JSON);
    try (OutputStream out =
        statsPath.getFileSystem(spark.sparkContext().hadoopConfiguration()).create(statsPath)) {
      out.write(Json.mapper().writeValueAsBytes(stats));
      out.write('\n');
    }
    report(context, stats, rejected, options, RankingConfig.unseenPolicy(context.config()));
    return stats;
  }

  /** Rows of each dataset, by name, counted in one query (a dataset without rows counts 0). */
  private static Map<String, Long> rowCounts(Map<String, Dataset<Row>> datasets) {
    Dataset<Row> names = null;
    Map<String, Long> counts = new LinkedHashMap<>();
    for (Map.Entry<String, Dataset<Row>> entry : datasets.entrySet()) {
      counts.put(entry.getKey(), 0L);
      Dataset<Row> name = entry.getValue().select(lit(entry.getKey()).as("dataset"));
      names = names == null ? name : names.union(name);
    }
    for (Row row : names.groupBy("dataset").count().collectAsList()) {
      counts.put(row.getString(0), row.getLong(1));
    }
    return counts;
  }

  /**
   * Sorted names get ids 0..n-1 in order; zipWithIndex only sends per-partition counts to the
   * driver.
   */
  private static void writeDictionary(
      SparkSession spark, Dataset<Row> names, Path target, String compression) {
    JavaRDD<Row> indexed =
        names
            .orderBy("name")
            .javaRDD()
            .zipWithIndex()
            .map(
                pair -> {
                  if (pair._2() > Integer.MAX_VALUE) {
                    throw new IllegalStateException("more than 2^31-1 names: ids are 32-bit ints");
                  }
                  return RowFactory.create((int) (long) pair._2(), pair._1().getString(0));
                });
    spark
        .createDataFrame(indexed, Layout.DICTIONARY_SCHEMA)
        .write()
        .option("compression", compression)
        .parquet(target.toString());
  }

  private static Dataset<Row> encode(
      Dataset<Row> triples, Dataset<Row> entities, Dataset<Row> relations) {
    Dataset<Row> heads = entities.select(col("id").as("head_id"), col("name").as("head_name"));
    Dataset<Row> tails = entities.select(col("id").as("tail_id"), col("name").as("tail_name"));
    Dataset<Row> rels =
        relations.select(col("id").as("relation_id"), col("name").as("relation_name"));
    return triples
        .join(heads, col("head").equalTo(col("head_name")))
        .join(rels, col("relation").equalTo(col("relation_name")))
        .join(tails, col("tail").equalTo(col("tail_name")))
        .select(
            col("head_id").as("head"),
            col("relation_id").as("relation"),
            col("tail_id").as("tail"));
  }

  private static void writeRejects(Map<String, Dataset<Row>> parsed, Path target, String format) {
    Dataset<Row> rejects = null;
    for (Map.Entry<String, Dataset<Row>> entry : parsed.entrySet()) {
      Dataset<Row> split =
          entry
              .getValue()
              .filter(col("status").equalTo(ParsedLines.REJECTED))
              .select(
                  lit(entry.getKey()).as("split"),
                  col("file"),
                  col("line"),
                  col("reason"),
                  col("text"));
      rejects = rejects == null ? split : rejects.union(split);
    }
    Dataset<Row> ordered = rejects.orderBy(col("split"), col("file"), col("line"));
    if (format.equals("parquet")) {
      ordered.write().parquet(target.toString());
    } else {
      ordered.write().json(target.toString());
    }
  }

  /** (entity, degree) over the training triples: head and tail occurrences. */
  private static Dataset<Row> degrees(Dataset<Row> train) {
    return train
        .select(col("head").as("entity"))
        .union(train.select(col("tail").as("entity")))
        .groupBy("entity")
        .count()
        .withColumnRenamed("count", "degree");
  }

  private static Map<String, Object> degreeSummary(Dataset<Row> degrees) {
    Row row =
        degrees
            .agg(
                count(lit(1)),
                min("degree"),
                max("degree"),
                avg("degree"),
                percentile_approx(col("degree"), array(lit(0.5), lit(0.9), lit(0.99)), lit(10000)))
            .first();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("entities", row.getLong(0));
    summary.put("min", row.getLong(1));
    summary.put("max", row.getLong(2));
    summary.put("mean", row.getDouble(3));
    List<Object> quantiles = row.getList(4);
    summary.put("median", quantiles.get(0));
    summary.put("p90", quantiles.get(1));
    summary.put("p99", quantiles.get(2));
    return summary;
  }

  /**
   * Entities per logarithmic degree bin [2^k, 2^(k+1) - 1] (1, 2-3, 4-7, ...), every bin from k = 0
   * up to the one holding the maximum degree, empty bins included so a chart's x axis is regular.
   * Degrees come from {@link #degrees}, so every entity has degree >= 1: entities seen only in
   * valid/test are not here (they are {@code unseen_entities}). Counted on the executors; at most
   * 63 rows reach the driver.
   */
  private static List<Map<String, Object>> degreeHistogram(Dataset<Row> degrees) {
    // floor(log2(d)) exactly: the bit length of d minus one (floating-point log2 can round across a
    // power of two)
    Dataset<Row> perBin = degrees.groupBy(length(bin(col("degree"))).minus(1).as("bin")).count();
    long[] entities = new long[Long.SIZE];
    int highest = -1;
    for (Row row : perBin.collectAsList()) {
      int k = row.getInt(0);
      entities[k] = row.getLong(1);
      highest = Math.max(highest, k);
    }
    List<Map<String, Object>> histogram = new ArrayList<>();
    for (int k = 0; k <= highest; k++) {
      Map<String, Object> bucket = new LinkedHashMap<>();
      bucket.put("from", 1L << k);
      bucket.put("to", (1L << k) * 2 - 1);
      bucket.put("entities", entities[k]);
      histogram.add(bucket);
    }
    return histogram;
  }

  /**
   * Entities and relations of valid/test that never occur in train, and how many valid/test triples
   * mention them: {@code unseen_entities}, {@code unseen_relations} and {@code unseen_triples} (an
   * unseen entity or relation: what evaluate.unseen = drop leaves out of ranking). Counted on the
   * executors; one row per split reaches the driver.
   */
  private static Map<String, Object> unseen(
      Map<String, Dataset<Row>> encoded, Dataset<Row> trainDegrees) {
    Dataset<Row> train = encoded.get("train");
    Dataset<Row> seen = trainDegrees.select(col("entity").as("seen"));
    Dataset<Row> seenRelations = train.select(col("relation").as("seen")).distinct();
    Map<String, Object> entities = new LinkedHashMap<>();
    Map<String, Object> relations = new LinkedHashMap<>();
    Map<String, Object> triples = new LinkedHashMap<>();
    Dataset<Row> heldOut = null;
    for (String split : List.of("valid", "test")) {
      Dataset<Row> held = encoded.get(split);
      if (held == null) {
        continue;
      }
      entities.put(split + "_triples", 0L);
      relations.put(split + "_triples", 0L);
      triples.put(split + "_triples", 0L);
      Dataset<Row> labelled = held.withColumn("split", lit(split));
      heldOut = heldOut == null ? labelled : heldOut.union(labelled);
    }
    long unseenEntities = 0;
    long unseenRelations = 0;
    if (heldOut != null) {
      unseenEntities =
          distinctNotIn(
              heldOut
                  .select(col("head").as("entity"))
                  .union(heldOut.select(col("tail").as("entity"))),
              seen);
      unseenRelations = distinctNotIn(heldOut.select(col("relation").as("entity")), seenRelations);
      // both splits in one aggregation: train's entities and relations are gathered once
      for (Row counts :
          UnseenTriples.flag(heldOut, train, List.of("split"))
              .groupBy("split")
              .agg(
                  count(when(col(UnseenTriples.UNSEEN_ENTITY), lit(1))),
                  count(when(col(UnseenTriples.UNSEEN_RELATION), lit(1))),
                  count(when(col(UnseenTriples.UNSEEN), lit(1))))
              .collectAsList()) {
        String split = counts.getString(0);
        entities.put(split + "_triples", counts.getLong(1));
        relations.put(split + "_triples", counts.getLong(2));
        triples.put(split + "_triples", counts.getLong(3));
      }
    }
    entities.put("entities", unseenEntities);
    relations.put("relations", unseenRelations);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("unseen_entities", first("entities", entities));
    result.put("unseen_relations", first("relations", relations));
    result.put("unseen_triples", triples);
    return result;
  }

  /** Distinct ids (column entity) of the held-out splits that are not in seen (column seen). */
  private static long distinctNotIn(Dataset<Row> heldOut, Dataset<Row> seen) {
    return heldOut.distinct().join(seen, col("entity").equalTo(col("seen")), "left_anti").count();
  }

  /** The map with the given key moved first. */
  private static Map<String, Object> first(String key, Map<String, Object> map) {
    Map<String, Object> ordered = new LinkedHashMap<>();
    ordered.put(key, map.get(key));
    ordered.putAll(map);
    return ordered;
  }

  @SuppressWarnings("unchecked")
  private static void report(
      StageContext context,
      Map<String, Object> stats,
      long rejected,
      IngestOptions options,
      UnseenTriples.Policy unseenPolicy) {
    StringBuilder text = new StringBuilder();
    Map<String, Object> splits = (Map<String, Object>) stats.get("splits");
    for (Map.Entry<String, Object> entry : splits.entrySet()) {
      Map<String, Object> split = (Map<String, Object>) entry.getValue();
      text.append(
          String.format(
              Locale.ROOT,
              "ingest: %-5s %,d triples (%,d duplicates removed, %,d lines rejected, %,d ignored, %,d literal triples dropped)%n",
              entry.getKey(),
              split.get("triples"),
              split.get("duplicates_removed"),
              split.get("rejected"),
              split.get("ignored_lines"),
              split.get("literal_triples_dropped")));
    }
    text.append(
        String.format(
            Locale.ROOT,
            "ingest: %,d entities, %,d relations%n",
            stats.get("entities"),
            stats.get("relations")));
    Map<String, Object> leakage = (Map<String, Object>) stats.get("leakage");
    if (leakage != null) {
      long total = 0;
      StringBuilder perSplit = new StringBuilder();
      for (Map.Entry<String, Object> entry : leakage.entrySet()) {
        if (entry.getKey().endsWith("_triples")) {
          total += (Long) entry.getValue();
          perSplit
              .append(perSplit.length() == 0 ? "" : ", ")
              .append(
                  String.format(
                      Locale.ROOT,
                      "%s %,d",
                      entry.getKey().replace("_triples", ""),
                      entry.getValue()));
        }
      }
      if (total == 0) {
        text.append("ingest: no valid/test triple occurs in train\n");
      } else {
        text.append(
            String.format(
                Locale.ROOT,
                "ingest: %s%,d valid/test triples also occur in train (%s): %s (ingest.leakage = %s)%n",
                options.leakage() == IngestOptions.Leakage.WARN ? "warning: " : "",
                total,
                perSplit,
                options.leakage() == IngestOptions.Leakage.DROP
                    ? "removed from valid/test"
                    : "kept",
                leakage.get("policy")));
      }
    }
    Map<String, Object> unseenTriples = (Map<String, Object>) stats.get("unseen_triples");
    if (!unseenTriples.isEmpty()) {
      StringBuilder perSplit = new StringBuilder();
      unseenTriples.forEach(
          (key, count) ->
              perSplit
                  .append(perSplit.length() == 0 ? "" : ", ")
                  .append(
                      String.format(Locale.ROOT, "%s %,d", key.replace("_triples", ""), count)));
      text.append(
          String.format(
              Locale.ROOT,
              "ingest: not in train: %,d entities and %,d relations of valid/test; triples with one: %s "
                  + "(the evaluate stage %s: evaluate.unseen = %s)%n",
              ((Map<String, Object>) stats.get("unseen_entities")).get("entities"),
              ((Map<String, Object>) stats.get("unseen_relations")).get("relations"),
              perSplit,
              unseenPolicy == UnseenTriples.Policy.DROP ? "leaves them out" : "ranks them",
              unseenPolicy.name().toLowerCase(Locale.ROOT)));
    }
    if (options.onError() == IngestOptions.OnError.SKIP) {
      text.append(
          String.format(
              Locale.ROOT,
              "ingest: %,d rejected lines written to rejects/ (%s)%n",
              rejected,
              options.rejectsFormat()));
    }
    context.out().print(text);
    context.out().flush();
  }
}
