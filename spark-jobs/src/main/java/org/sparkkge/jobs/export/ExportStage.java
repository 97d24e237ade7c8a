package org.sparkkge.jobs.export;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.io.Json;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.io.StatsFile;
import org.sparkkge.jobs.stage.Requirement;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.jobs.train.EntityRow;
import org.sparkkge.jobs.train.EntityTables;
import org.sparkkge.jobs.train.SharedParams;
import org.sparkkge.jobs.train.TrainOptions;
import scala.Tuple2;

/**
 * Writes the embeddings for users (docs/outputs.md): entity_embeddings for every entity (trained
 * rows; entities outside the trained set propagated layer by layer from embedded neighbours;
 * unreachable ones the mean trained vector), relation_embeddings, model.json (how to score from the
 * Parquet alone) and metrics.json.
 */
public final class ExportStage implements Stage {
  public static final String NAME = Layout.EXPORT;

  /** entity_embeddings source of an entity placed from its neighbours instead of trained. */
  public static final StructType ENTITY_SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("source", DataTypes.StringType, false)
          .add("distance", DataTypes.IntegerType, false);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "Write entity/relation embeddings (Parquet), model.json and metrics.json; embed the periphery.";
  }

  @Override
  public List<Requirement> requires(Config config) {
    return List.of(Requirement.of(Layout.FINAL_MODEL));
  }

  /**
   * What an export of either mode may write. A run that leaves some out (no export.new-triples, or
   * a shallow model after a NodePiece one) has the earlier run's copies deleted by {@link
   * StageContext#addDatasets}, so stale new triples never filter evaluate.
   */
  @Override
  public List<String> produces(Config config) {
    return List.of(
        Layout.ENTITY_EMBEDDINGS,
        Layout.RELATION_EMBEDDINGS,
        Layout.MODEL_JSON,
        Layout.METRICS_JSON,
        Layout.NODEPIECE_VOCABULARY,
        Layout.NODEPIECE_ENCODER,
        Layout.NEW_ENTITY_EMBEDDINGS,
        Layout.NEW_TRIPLES);
  }

  @Override
  public void validate(Config config) {
    int fitEpochs;
    try {
      fitEpochs = config.getInt("reduce.fit-epochs");
    } catch (ConfigException e) {
      throw new UsageException("invalid configuration: " + e.getMessage(), e);
    }
    if (fitEpochs < 0) {
      throw new UsageException(
          "reduce.fit-epochs must be >= 0 (0 = no periphery fit), got " + fitEpochs);
    }
  }

  @Override
  public void run(StageContext context) throws Exception {
    SparkSession spark = context.spark();
    OutputDirectory output = context.output();
    int fitEpochs = context.config().getInt("reduce.fit-epochs");
    String compression = context.config().getString("output.compression");
    String modelDir = output.resolve(Layout.FINAL_MODEL).toString();
    JsonNode trained;
    try (InputStream in = output.fileSystem().open(new Path(modelDir, Layout.MODEL_JSON))) {
      trained = Json.mapper().readTree(in);
    }
    String model = trained.get("model").asText();
    int dim = trained.get("dim").asInt();
    SharedParams shared = SharedParams.read(spark, Layout.model(modelDir, Layout.MODEL_SHARED));
    if ("nodepiece".equals(trained.path("mode").asText())) {
      new NodePieceExport(context, trained, shared, compression).run();
      return;
    }

    Dataset<Row> entities = Layout.read(spark, output, Layout.ENTITIES);
    String newTriples = context.config().getString(AddedEntities.SETTING).trim();
    AddedEntities added =
        newTriples.isEmpty() ? null : AddedEntities.read(spark, output, entities, newTriples);
    context.progress().step("reading the trained entity table");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    // the rows, the edges and every propagation layer share one partitioner: a layer's joins then
    // shuffle
    // only its new estimates, and the unions keep the partition count instead of adding them up
    HashPartitioner byId = new HashPartitioner(jsc.defaultParallelism());
    // the trained table holds exactly the entities of triples/partitioned (the train stage builds
    // it so)
    JavaPairRDD<Integer, EntityRow> trainedRows =
        EntityTables.read(spark, Layout.model(modelDir, Layout.MODEL_ENTITIES))
            .partitionBy(byId)
            .persist(StorageLevel.MEMORY_AND_DISK());
    JavaPairRDD<Integer, float[]> known = trainedRows.mapValues(EntityRow::values);
    List<JavaPairRDD<Integer, ?>> toRelease = new ArrayList<>();
    toRelease.add(trainedRows);
    PeripheryFit.Result fitResult = null;
    try {
      long trainedCount = known.count();
      JavaRDD<Row> rows = known.map(e -> RowFactory.create(e._1(), e._2(), "trained", 0));

      context.progress().step("propagating embeddings to entities outside the trained set");
      JavaRDD<int[]> edges =
          arrays(Layout.read(spark, output, Layout.TRAIN_TRIPLES))
              .persist(StorageLevel.MEMORY_AND_DISK());
      EdgeIndex trainEdges = EdgeIndex.of(edges, byId, toRelease);
      Broadcast<Propagation> rule = rule(jsc, model, dim, shared, trainEdges, known);
      Placement periphery = propagate(rule, trainEdges, known, byId, toRelease);
      List<Long> layers = periphery.layers();
      JavaPairRDD<Integer, Tuple2<float[], Integer>> placed = periphery.placed();
      Map<String, Object> fit = null;
      if (fitEpochs > 0 && !layers.isEmpty()) {
        context
            .progress()
            .step(
                "fitting the "
                    + layers.stream().mapToLong(Long::longValue).sum()
                    + " placed entities for "
                    + fitEpochs
                    + " epoch(s), trained rows and relations frozen");
        // placed rows start with the trained rows' mean Adagrad state: steps the size trained rows
        // take now
        double meanAdagrad = trainedRows.values().mapToDouble(EntityRow::adagrad).mean();
        fitResult =
            PeripheryFit.run(
                jsc,
                known,
                placed.mapValues(Tuple2::_1),
                edges,
                shared,
                model,
                dim,
                (float) meanAdagrad,
                TrainOptions.from(context.config()),
                fitEpochs);
        fit = fitResult.stats();
        // only the placed rows meet the fitted ones: the trained table is not shuffled again
        placed = placed.join(fitResult.fitted()).mapValues(v -> new Tuple2<>(v._2(), v._1()._2()));
      }
      rows = rows.union(placedRows(placed));
      edges.unpersist(false);

      float[] mean = meanVector(known, dim, trainedCount);
      Dataset<Row> newEmbeddings =
          added == null
              ? null
              : placeAdded(
                  spark,
                  output,
                  added,
                  rule,
                  known.union(placed.mapValues(Tuple2::_1)),
                  mean,
                  byId,
                  toRelease);
      Dataset<Row> entityEmbeddings =
          entityEmbeddings(
              spark,
              output,
              withMeanVector(spark, spark.createDataFrame(rows, ENTITY_SCHEMA), entities, mean),
              entities);

      Map<String, Object> stats = new LinkedHashMap<>();
      stats.put("model", model);
      stats.put("dim", dim);
      stats.put("entities_trained", trainedCount);
      stats.put("entities_propagated", layers.stream().mapToLong(Long::longValue).sum());
      stats.put("propagation_layers", layers);
      stats.put("propagation_rule", rule.value().rule());
      stats.put("periphery_fit", fit == null ? Map.of("epochs", 0) : fit);
      Map<String, Object> modelInfo = Json.mapper().convertValue(trained, LinkedHashMap.class);
      modelInfo.put(
          Layout.ENTITY_EMBEDDINGS,
          Layout.ENTITY_EMBEDDINGS
              + "/: id INT, name STRING, embedding ARRAY<FLOAT>[dim], "
              + "core_number INT (null without the reduce stage), source trained|propagated|encoded, distance INT "
              + "(0 trained, k = propagated in layer k, -1 = unreachable: mean trained vector)");
      modelInfo.put(
          Layout.RELATION_EMBEDDINGS,
          Layout.RELATION_EMBEDDINGS
              + "/: id INT, name STRING, embedding ARRAY<FLOAT>[relation_dim]");
      modelInfo.put(
          "periphery",
          rule.value().rule()
              + (fit == null
                  ? ""
                  : "; then fitted for "
                      + fitEpochs
                      + " epoch(s) on the training triples that touch them, "
                      + "trained rows and relations frozen (reduce.fit-epochs)")
              + "; unreachable entities get the mean trained vector");
      if (newEmbeddings != null) {
        modelInfo.put(
            Layout.NEW_ENTITY_EMBEDDINGS,
            Layout.NEW_ENTITY_EMBEDDINGS
                + "/: the entities that "
                + AddedEntities.SETTING
                + " adds after training, columns as entity_embeddings (ids after the known ones); "
                + "placed from those triples by the periphery rule, not fitted");
      }

      List<String> datasets =
          new ArrayList<>(
              List.of(
                  Layout.ENTITY_EMBEDDINGS,
                  Layout.RELATION_EMBEDDINGS,
                  Layout.MODEL_JSON,
                  Layout.METRICS_JSON));
      if (newEmbeddings != null) {
        datasets.add(Layout.NEW_ENTITY_EMBEDDINGS);
        datasets.add(Layout.NEW_TRIPLES);
      }
      context.addDatasets(
          datasets,
          staging -> {
            if (newEmbeddings != null) {
              added.writeTriples(new Path(staging, Layout.NEW_TRIPLES).toString(), compression);
              String path = new Path(staging, Layout.NEW_ENTITY_EMBEDDINGS).toString();
              newEmbeddings.write().option("compression", compression).parquet(path);
              Row counts =
                  spark
                      .read()
                      .parquet(path)
                      .agg(count(lit(1)), sum(when(col("distance").equalTo(-1), 1).otherwise(0)))
                      .first();
              stats.put("new_entities", counts.getLong(0));
              stats.put(
                  "new_entities_unreachable_mean_vector",
                  counts.isNullAt(1) ? 0 : counts.getLong(1));
            }
            entityEmbeddings
                .write()
                .option("compression", compression)
                .parquet(new Path(staging, Layout.ENTITY_EMBEDDINGS).toString());
            long unreachableCount =
                spark
                    .read()
                    .parquet(new Path(staging, Layout.ENTITY_EMBEDDINGS).toString())
                    .filter(col("distance").equalTo(-1))
                    .count();
            stats.put("entities_unreachable_mean_vector", unreachableCount);
            writeRelations(
                spark,
                output,
                shared,
                new Path(staging, Layout.RELATION_EMBEDDINGS).toString(),
                compression);
            var fs = output.fileSystem();
            StatsFile.write(fs, new Path(staging, Layout.MODEL_JSON), modelInfo);
            Map<String, Object> metrics = new LinkedHashMap<>();
            JsonNode trainStats = readSection(output, Layout.STATS_JSON, Layout.TRAIN);
            if (trainStats != null) {
              metrics.put("train", trainStats);
            }
            metrics.put("export", stats);
            StatsFile.write(fs, new Path(staging, Layout.METRICS_JSON), metrics);
            return stats;
          });
      StatsFile.putSection(output, Layout.STATS_JSON, NAME, stats);
      context
          .out()
          .printf(
              Locale.ROOT,
              "export: %,d entities trained, %,d propagated in %d layer(s), %,d unreachable (mean vector)%n",
              trainedCount,
              stats.get("entities_propagated"),
              layers.size(),
              stats.get("entities_unreachable_mean_vector"));
      if (newEmbeddings != null) {
        context
            .out()
            .printf(
                Locale.ROOT,
                "export: %,d new entities of %s placed from their edges, %,d unreachable (mean vector)%n",
                stats.get("new_entities"),
                newTriples,
                stats.get("new_entities_unreachable_mean_vector"));
      }
      context.out().flush();
    } finally {
      for (JavaPairRDD<Integer, ?> rdd : toRelease) {
        rdd.unpersist(false);
      }
      if (fitResult != null) {
        fitResult.close();
      }
      if (added != null) {
        added.release();
      }
    }
  }

  /**
   * Entities placed layer by layer from embedded neighbours: layer k holds the entities with an
   * edge to layers 0 to k - 1 (layer 0 = {@code start}) that are not in them, each from the
   * estimates over those edges ({@link Propagation}); {@code layers} counts each layer's entities.
   */
  private record Placement(
      JavaPairRDD<Integer, Tuple2<float[], Integer>> placed, List<Long> layers) {}

  private static Placement propagate(
      Broadcast<Propagation> rule,
      EdgeIndex edges,
      JavaPairRDD<Integer, float[]> start,
      HashPartitioner byId,
      List<JavaPairRDD<Integer, ?>> toRelease) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(start.context());
    JavaPairRDD<Integer, float[]> embedded = start;
    List<JavaPairRDD<Integer, Tuple2<float[], Integer>>> placedLayers = new ArrayList<>();
    List<Long> layers = new ArrayList<>();
    for (int layer = 1; ; layer++) {
      JavaPairRDD<Integer, float[]> current = embedded;
      // tail estimated from an embedded head, head from an embedded tail; unknown ends only
      JavaPairRDD<Integer, Tuple2<float[], Long>> fromHeads =
          edges
              .byHead()
              .join(current)
              .mapToPair(
                  x ->
                      new Tuple2<>(
                          x._2()._1()[2],
                          new Tuple2<>(
                              rule.value().estimate(x._2()._2(), x._2()._1()[1], true), 1L)));
      JavaPairRDD<Integer, Tuple2<float[], Long>> fromTails =
          edges
              .byTail()
              .join(current)
              .mapToPair(
                  x ->
                      new Tuple2<>(
                          x._2()._1()[0],
                          new Tuple2<>(
                              rule.value().estimate(x._2()._2(), x._2()._1()[1], false), 1L)));
      JavaPairRDD<Integer, float[]> next =
          fromHeads
              .union(fromTails)
              .reduceByKey(byId, (a, b) -> new Tuple2<>(add(a._1(), b._1()), a._2() + b._2()))
              .subtractByKey(current, byId)
              .mapValues(v -> rule.value().combine(v._1(), v._2()))
              .persist(StorageLevel.MEMORY_AND_DISK());
      toRelease.add(next);
      long count = next.count();
      if (count == 0) {
        break;
      }
      layers.add(count);
      int distance = layer;
      placedLayers.add(next.mapValues(v -> new Tuple2<>(v, distance)));
      embedded = current.union(next).persist(StorageLevel.MEMORY_AND_DISK());
      toRelease.add(embedded);
    }
    @SuppressWarnings("unchecked")
    JavaPairRDD<Integer, Tuple2<float[], Integer>> placed =
        placedLayers.isEmpty()
            ? JavaPairRDD.fromJavaRDD(jsc.emptyRDD())
            : jsc.union(placedLayers.toArray(new JavaPairRDD[0]));
    return new Placement(placed, layers);
  }

  /**
   * The periphery's rule for the model's relations; bilinear models place at the length their
   * trained answers have along their queries, measured on the training triples ({@code trainEdges})
   * over the rows of {@code known}.
   */
  static Broadcast<Propagation> rule(
      JavaSparkContext jsc,
      String model,
      int dim,
      SharedParams shared,
      EdgeIndex trainEdges,
      JavaPairRDD<Integer, float[]> known) {
    Propagation propagation =
        new Propagation(model, dim, shared.relationDim(), shared.relations(), 0);
    if (propagation.bilinear()) {
      // the placed length comes from the trained triples, scored with the same rule
      Broadcast<Propagation> unscaled = jsc.broadcast(propagation);
      propagation =
          propagation.withPlacedNorm(meanProjection(unscaled, trainEdges.byHead(), known));
      unscaled.destroy();
    }
    return jsc.broadcast(propagation);
  }

  /**
   * The periphery rule's estimates of the entities export.new-triples adds, from their edges to
   * {@code embedded} and to each other: id -> (vector, layer); an entity no edge path reaches has
   * none.
   */
  static JavaPairRDD<Integer, Tuple2<float[], Integer>> estimateAdded(
      AddedEntities added,
      Broadcast<Propagation> rule,
      JavaPairRDD<Integer, float[]> embedded,
      HashPartitioner byId,
      List<JavaPairRDD<Integer, ?>> toRelease) {
    EdgeIndex edges = EdgeIndex.of(arrays(added.triples()), byId, toRelease);
    return propagate(rule, edges, embedded, byId, toRelease).placed();
  }

  /**
   * new_entity_embeddings of a shallow model: the entities that export.new-triples adds, placed
   * from their edges to every embedded entity ({@code embedded}: trained and placed rows) and to
   * each other, by the periphery's rule; those the new triples do not connect to an embedded entity
   * get the mean trained vector (distance -1). No retraining.
   */
  private static Dataset<Row> placeAdded(
      SparkSession spark,
      OutputDirectory output,
      AddedEntities added,
      Broadcast<Propagation> rule,
      JavaPairRDD<Integer, float[]> embedded,
      float[] mean,
      HashPartitioner byId,
      List<JavaPairRDD<Integer, ?>> toRelease)
      throws IOException {
    Dataset<Row> placed =
        spark
            .createDataFrame(
                placedRows(estimateAdded(added, rule, embedded, byId, toRelease)), ENTITY_SCHEMA)
            .join(added.names().select("id"), "id");
    return entityEmbeddings(
        spark, output, withMeanVector(spark, placed, added.names(), mean), added.names());
  }

  /** Triples (head, relation, tail) as {head, relation, tail} arrays. */
  static JavaRDD<int[]> arrays(Dataset<Row> triples) {
    return triples
        .select("head", "relation", "tail")
        .javaRDD()
        .map(r -> new int[] {r.getInt(0), r.getInt(1), r.getInt(2)});
  }

  /** Edges keyed by their head and by their tail, both partitioned like the entity rows. */
  record EdgeIndex(JavaPairRDD<Integer, int[]> byHead, JavaPairRDD<Integer, int[]> byTail) {
    static EdgeIndex of(
        JavaRDD<int[]> edges, HashPartitioner byId, List<JavaPairRDD<Integer, ?>> toRelease) {
      JavaPairRDD<Integer, int[]> byHead =
          edges
              .mapToPair(e -> new Tuple2<>(e[0], e))
              .partitionBy(byId)
              .persist(StorageLevel.MEMORY_AND_DISK());
      JavaPairRDD<Integer, int[]> byTail =
          edges
              .mapToPair(e -> new Tuple2<>(e[2], e))
              .partitionBy(byId)
              .persist(StorageLevel.MEMORY_AND_DISK());
      toRelease.add(byHead);
      toRelease.add(byTail);
      return new EdgeIndex(byHead, byTail);
    }
  }

  /** Placed entities (vector, layer) as rows of {@link #ENTITY_SCHEMA}. */
  private static JavaRDD<Row> placedRows(JavaPairRDD<Integer, Tuple2<float[], Integer>> placed) {
    return placed.map(
        e -> RowFactory.create(e._1(), e._2()._1(), Layout.SOURCE_PROPAGATED, e._2()._2()));
  }

  /**
   * {@code embedded} (rows of {@link #ENTITY_SCHEMA}) plus a row at the mean trained vector,
   * distance -1, for every id of {@code ids} it lacks: entities no edge path reaches.
   */
  private static Dataset<Row> withMeanVector(
      SparkSession spark, Dataset<Row> embedded, Dataset<Row> ids, float[] mean) {
    Dataset<Row> unreachable =
        spark.createDataFrame(
            ids.select("id")
                .join(embedded.select("id"), "id", "left_anti")
                .javaRDD()
                .map(r -> RowFactory.create(r.getInt(0), mean, Layout.SOURCE_PROPAGATED, -1)),
            ENTITY_SCHEMA);
    return embedded.unionByName(unreachable);
  }

  static void writeRelations(
      SparkSession spark,
      OutputDirectory output,
      SharedParams shared,
      String path,
      String compression) {
    List<Row> rows = new ArrayList<>();
    int rd = shared.relationDim();
    for (int r = 0; r < shared.numRelations(); r++) {
      float[] v = new float[rd];
      System.arraycopy(shared.relations(), r * rd, v, 0, rd);
      rows.add(RowFactory.create(r, v));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    Dataset<Row> names = Layout.read(spark, output, Layout.RELATIONS);
    spark
        .createDataFrame(rows, schema)
        .join(names, "id")
        .select("id", "name", "embedding")
        .coalesce(1)
        .write()
        .option("compression", compression)
        .parquet(path);
  }

  static JsonNode readSection(OutputDirectory output, String file, String section)
      throws IOException {
    Path path = output.resolve(file);
    if (!output.fileSystem().exists(path)) {
      return null;
    }
    try (InputStream in = output.fileSystem().open(path)) {
      return Json.mapper().readTree(in).get(section);
    }
  }

  static float[] meanVector(JavaPairRDD<Integer, float[]> rows, int dim, long count) {
    if (count == 0) {
      return new float[dim];
    }
    double[] sum =
        rows.values()
            .treeAggregate(
                new double[dim],
                (acc, v) -> {
                  for (int i = 0; i < v.length; i++) acc[i] += v[i];
                  return acc;
                },
                (a, b) -> {
                  for (int i = 0; i < a.length; i++) a[i] += b[i];
                  return a;
                });
    float[] mean = new float[dim];
    for (int i = 0; i < dim; i++) mean[i] = (float) (sum[i] / count);
    return mean;
  }

  /**
   * Mean of {@link Propagation#projection} over the training triples whose head and tail are both
   * trained (0 when there are none): the length bilinear models give placed entities.
   */
  static double meanProjection(
      Broadcast<Propagation> rule,
      JavaPairRDD<Integer, int[]> byHead,
      JavaPairRDD<Integer, float[]> known) {
    Tuple2<Double, Long> sum =
        byHead
            .join(known)
            .mapToPair(x -> new Tuple2<>(x._2()._1()[2], new Tuple2<>(x._2()._1()[1], x._2()._2())))
            .join(known)
            .map(
                x ->
                    new Tuple2<>(
                        rule.value().projection(x._2()._1()._2(), x._2()._1()._1(), x._2()._2()),
                        1L))
            .fold(new Tuple2<>(0.0, 0L), (a, b) -> new Tuple2<>(a._1() + b._1(), a._2() + b._2()));
    return sum._2() == 0 ? 0 : sum._1() / sum._2();
  }

  static float[] add(float[] a, float[] b) {
    float[] out = a.clone();
    for (int i = 0; i < out.length; i++) out[i] += b[i];
    return out;
  }

  /**
   * The entity_embeddings columns from rows of {@link #ENTITY_SCHEMA}: names from {@code entities},
   * and core numbers when the reduce stage wrote them (null otherwise).
   */
  static Dataset<Row> entityEmbeddings(
      SparkSession spark, OutputDirectory output, Dataset<Row> embedded, Dataset<Row> entities)
      throws IOException {
    Dataset<Row> withNames = embedded.join(entities, "id");
    boolean reduced =
        output.isStageComplete(Layout.REDUCE)
            && output.fileSystem().exists(output.resolve(Layout.CORE_NUMBERS));
    Dataset<Row> withCores =
        reduced
            ? withNames.join(
                spark.read().parquet(output.resolve(Layout.CORE_NUMBERS).toString()),
                new String[] {"id"},
                "left")
            : withNames.withColumn("core_number", lit(null).cast(DataTypes.IntegerType));
    return withCores.select(
        col("id"),
        col("name"),
        col("embedding"),
        col("core_number").cast(DataTypes.IntegerType).as("core_number"),
        col("source"),
        col("distance"));
  }
}
