package org.sparkkge.jobs.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.RankMetrics;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.ingest.NamedTriples;
import org.sparkkge.jobs.io.Json;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.io.StatsFile;
import org.sparkkge.jobs.ranking.DistributedRanking;
import org.sparkkge.jobs.ranking.RankingConfig;
import org.sparkkge.jobs.ranking.UnseenTriples;
import org.sparkkge.jobs.stage.Requirement;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.jobs.train.SharedParams;
import scala.Tuple2;

/**
 * Filtered link-prediction ranking of the exported embeddings ({@link DistributedRanking}):
 * realistic ranks (ties: mean of optimistic and pessimistic), both directions, known triples of
 * train + valid + test filtered; MRR, MR, Hits@1/3/10, overall and per relation. The entity matrix
 * is broadcast when it fits evaluate.broadcast-budget-bytes, otherwise ranked blockwise with the
 * entity table distributed; stats.json's evaluate section says which path ran and with how many
 * entity blocks. A NaN or infinite candidate score fails the stage naming the query; a true answer
 * with such a score ranks last and is counted ({@code filtered_nonfinite_true_scores}).
 */
public final class EvaluateStage implements Stage {
  public static final String NAME = Layout.EVALUATE;
  static final int CORE_REGION = 0;
  static final int PERIPHERY_REGION = 1;
  static final String NEW_ENTITY_TEST = "evaluate.new-entity-test";
  static final String NEW_ENTITY_SECTION = "new_entity_test";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "Filtered link-prediction ranking (MRR, MR, Hits@1/3/10, per relation) of the exported embeddings.";
  }

  @Override
  public void validate(Config config) {
    RankingConfig.of(config);
  }

  @Override
  public List<Requirement> requires(Config config) {
    String split = RankingConfig.of(config).split();
    return List.of(
        Requirement.of(Layout.ENTITY_EMBEDDINGS),
        Requirement.because(
            Layout.triples(split),
            "evaluate.split = " + split + ": ingest writes it when input." + split + " is given"));
  }

  @Override
  public List<String> produces(Config config) {
    return List.of(Layout.METRICS_JSON, Layout.PER_RELATION);
  }

  /**
   * The triples with a {@link DistributedRanking#REGION} column: {@link #PERIPHERY_REGION} where
   * the head or the tail is in {@code periphery} (ids of entities export placed instead of training
   * them), else {@link #CORE_REGION}. Two joins on the test side; nothing reaches the driver.
   */
  static Dataset<Row> withRegion(Dataset<Row> triples, Dataset<Row> periphery) {
    Dataset<Row> heads = periphery.select(col("id").as("periphery_head"));
    Dataset<Row> tails = periphery.select(col("id").as("periphery_tail"));
    return triples
        .join(heads, triples.col("head").equalTo(heads.col("periphery_head")), "left_outer")
        .join(tails, col("tail").equalTo(tails.col("periphery_tail")), "left_outer")
        .withColumn(
            DistributedRanking.REGION,
            when(
                    col("periphery_head").isNotNull().or(col("periphery_tail").isNotNull()),
                    lit(PERIPHERY_REGION))
                .otherwise(lit(CORE_REGION)))
        .drop("periphery_head", "periphery_tail");
  }

  /**
   * metrics.json's by_region: the metrics of the triples whose entities were all trained, and of
   * the others.
   */
  static Map<String, Object> byRegion(Map<Integer, RankMetrics> perRegion) {
    return byRegion(
        perRegion,
        "core: head and tail both trained; periphery: head or tail placed by export "
            + "(entity_embeddings source = propagated: outside the trained triples, e.g. outside the k-core)",
        "core",
        "periphery");
  }

  private static Map<String, Object> byRegion(
      Map<Integer, RankMetrics> perRegion, String definition, String... names) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("definition", definition);
    for (int region : new int[] {CORE_REGION, PERIPHERY_REGION}) {
      RankMetrics r = perRegion.get(region);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("triples", r == null ? 0 : r.queries() / 2);
      if (r != null && r.queries() > 0) {
        figures.put("mrr", r.mrr());
        figures.put("mr", r.meanRank());
        figures.put("hits@1", r.hitsAt1());
        figures.put("hits@3", r.hitsAt3());
        figures.put("hits@10", r.hitsAt10());
      }
      m.put(names[region], figures);
    }
    return m;
  }

  @Override
  public void run(StageContext context) throws Exception {
    RankingConfig settings = RankingConfig.of(context.config());
    SparkSession spark = context.spark();
    OutputDirectory output = context.output();
    String splitPath = Layout.triples(settings.split());
    String compression = context.config().getString("output.compression");
    JsonNode model;
    try (InputStream in = output.fileSystem().open(output.resolve(Layout.MODEL_JSON))) {
      model = Json.mapper().readTree(in);
    }
    String modelName = model.get("model").asText();
    int dim = model.get("dim").asInt();

    Dataset<Row> embeddings =
        spark.read().parquet(output.resolve(Layout.ENTITY_EMBEDDINGS).toString());
    Row maxId = embeddings.agg(max(col("id"))).first();
    int numEntities = maxId.getInt(0) + 1;
    List<Row> relationRows =
        spark
            .read()
            .parquet(output.resolve(Layout.RELATION_EMBEDDINGS).toString())
            .select("id", "name", "embedding")
            .collectAsList();
    int numRelations = relationRows.stream().mapToInt(r -> r.getInt(0)).max().orElse(-1) + 1;
    int relationDim = relationRows.get(0).getList(2).size();
    float[] relations = new float[numRelations * relationDim];
    Map<Integer, String> relationNames = new LinkedHashMap<>();
    for (Row row : relationRows) {
      System.arraycopy(
          SharedParams.toFloats(row.getList(2)),
          0,
          relations,
          row.getInt(0) * relationDim,
          relationDim);
      relationNames.put(row.getInt(0), row.getString(1));
    }
    JavaPairRDD<Integer, float[]> entityRows = vectors(embeddings);
    // first: a bad evaluate.new-entity-test file fails before the split's ranking
    String newEntityTest = context.config().getString(NEW_ENTITY_TEST).trim();
    Map<String, Object> newEntityFigures =
        newEntityTest.isEmpty()
            ? null
            : rankNewEntityTest(
                context,
                settings,
                newEntityTest,
                modelName,
                dim,
                relations,
                relationDim,
                numRelations,
                relationNames,
                embeddings,
                entityRows);
    Dataset<Row> test = Layout.read(spark, output, splitPath);
    Dataset<Row> train = Layout.read(spark, output, Layout.TRAIN_TRIPLES);
    context
        .progress()
        .step("counting " + settings.split() + " triples with an entity or relation not in train");
    long unseen = UnseenTriples.count(test, train);
    Dataset<Row> ranked =
        settings.unseen() == UnseenTriples.Policy.DROP ? UnseenTriples.seenOnly(test, train) : test;
    // embeddings written without a source column (by other tools) have no placed entities to split
    // off
    Dataset<Row> periphery =
        Arrays.asList(embeddings.columns()).contains("source")
            ? embeddings.filter(col("source").equalTo(Layout.SOURCE_PROPAGATED)).select("id")
            : null;
    boolean hasPeriphery = periphery != null && !periphery.isEmpty();
    if (hasPeriphery) {
      ranked = withRegion(ranked, periphery);
    }
    DistributedRanking.Outcome outcome;
    try (DistributedRanking ranking =
        DistributedRanking.prepare(
            spark,
            ranked,
            RankingConfig.knownTriples(spark, output),
            numEntities,
            numRelations,
            settings.ranking(),
            "evaluate: " + splitPath)) {
      long matrixBytes = (long) numEntities * dim * 4;
      context
          .progress()
          .step(
              String.format(
                  Locale.ROOT,
                  "ranking %s queries (entity matrix %,d bytes, %s %,d bytes)",
                  settings.split(),
                  matrixBytes,
                  matrixBytes <= settings.broadcastBudgetBytes()
                      ? "broadcast within"
                      : "blockwise above",
                  settings.broadcastBudgetBytes()));
      outcome = ranking.rank(modelName, dim, relationDim, relations, entityRows, true);
    } catch (PipelineException e) {
      throw DistributedRanking.withNames(
          e,
          "evaluate: " + splitPath,
          embeddings,
          spark.read().parquet(output.resolve(Layout.RELATION_EMBEDDINGS).toString()));
    }
    if (outcome.triples() == 0) {
      throw new PipelineException(
          "evaluate: "
              + splitPath
              + " holds no triples"
              + (unseen == 0
                  ? ""
                  : " whose entities and relation all occur in train ("
                      + unseen
                      + " that do not are dropped by evaluate.unseen "
                      + "= drop; rank ranks them)"));
    }
    EvaluationResult result = outcome.result();

    Map<String, Object> overall = new LinkedHashMap<>();
    overall.put("split", settings.split());
    overall.put(
        "protocol",
        "filtered ranking against all entities, both directions; realistic rank = mean of "
            + "optimistic and pessimistic rank; known triples = train + valid + test");
    overall.putAll(RankingConfig.unseenFigures(settings.unseen(), unseen));
    overall.putAll(result.asMap());
    if (hasPeriphery) {
      overall.put("by_region", byRegion(outcome.perRegion()));
    }
    Map<String, Object> perRelation = new LinkedHashMap<>();
    List<Row> relationMetricRows = new ArrayList<>();
    for (Map.Entry<Integer, RankMetrics> e : result.perRelation().entrySet()) {
      RankMetrics m = e.getValue();
      String name = relationNames.getOrDefault(e.getKey(), String.valueOf(e.getKey()));
      perRelation.put(
          name,
          Map.of(
              "queries",
              m.queries(),
              "mrr",
              m.mrr(),
              "mr",
              m.meanRank(),
              "hits@1",
              m.hitsAt1(),
              "hits@3",
              m.hitsAt3(),
              "hits@10",
              m.hitsAt10()));
      relationMetricRows.add(
          RowFactory.create(
              e.getKey(),
              name,
              m.queries(),
              m.mrr(),
              m.meanRank(),
              m.hitsAt1(),
              m.hitsAt3(),
              m.hitsAt10()));
    }
    relationMetricRows.sort(Comparator.comparingInt(r -> r.getInt(0)));
    StructType perRelationSchema =
        new StructType()
            .add("relation", DataTypes.IntegerType, false)
            .add("name", DataTypes.StringType, false)
            .add("queries", DataTypes.LongType, false)
            .add("mrr", DataTypes.DoubleType, false)
            .add("mr", DataTypes.DoubleType, false)
            .add("hits_at_1", DataTypes.DoubleType, false)
            .add("hits_at_3", DataTypes.DoubleType, false)
            .add("hits_at_10", DataTypes.DoubleType, false);
    Map<String, Object> evaluation = new LinkedHashMap<>(overall);
    evaluation.put("per_relation", perRelation);
    if (newEntityFigures != null) {
      evaluation.put(NEW_ENTITY_SECTION, newEntityFigures);
    }

    Map<String, Object> stats = new LinkedHashMap<>(overall);
    if (newEntityFigures != null) {
      stats.put(NEW_ENTITY_SECTION, newEntityFigures);
    }
    stats.putAll(outcome.describe());
    context.addDatasets(
        List.of(Layout.METRICS_JSON, Layout.PER_RELATION),
        staging -> {
          spark
              .createDataFrame(relationMetricRows, perRelationSchema)
              .coalesce(1)
              .write()
              .option("compression", compression)
              .parquet(new Path(staging, Layout.PER_RELATION).toString());
          JsonNode previous = readJson(output, Layout.METRICS_JSON);
          ObjectNode metrics =
              previous instanceof ObjectNode o ? o : Json.mapper().createObjectNode();
          metrics.set("evaluation", Json.mapper().valueToTree(evaluation));
          StatsFile.write(output.fileSystem(), new Path(staging, Layout.METRICS_JSON), metrics);
          return stats;
        });
    StatsFile.putSection(output, Layout.STATS_JSON, NAME, stats);
    context
        .out()
        .println(
            "evaluate: "
                + settings.split()
                + " "
                + result
                + " ("
                + outcome.path()
                + ", "
                + outcome.blocks()
                + " entity block"
                + (outcome.blocks() == 1 ? "" : "s")
                + ")");
    context
        .out()
        .println(
            String.format(
                Locale.ROOT,
                "evaluate: %,d %s triples with an entity or relation not in train %s"
                    + " (evaluate.unseen = %s)",
                unseen,
                settings.split(),
                settings.unseen() == UnseenTriples.Policy.DROP ? "left out of ranking" : "ranked",
                settings.unseen().name().toLowerCase(Locale.ROOT)));
    if (newEntityFigures != null) {
      context
          .out()
          .println(
              String.format(
                  Locale.ROOT,
                  "evaluate: %s (%,d triples, %,d touching one of %,d entities added after training): "
                      + "filtered MRR %.4f, hits@10 %.4f",
                  newEntityTest,
                  newEntityFigures.get("triples"),
                  newEntityFigures.get("triples_touching_new_entities"),
                  newEntityFigures.get("new_entities"),
                  newEntityFigures.get("filtered_mrr"),
                  newEntityFigures.get("filtered_hits@10")));
    }
    if (result.nonFiniteTrueScores() > 0) {
      context
          .out()
          .println(
              String.format(
                  Locale.ROOT,
                  "evaluate: warning: %,d true answers scored NaN or infinite "
                      + "and were ranked last (%s_nonfinite_true_scores in metrics.json)",
                  result.nonFiniteTrueScores(),
                  result.label()));
    }
    context.out().flush();
  }

  /**
   * Filtered ranking of evaluate.new-entity-test (TSV of names): triples about entities that export
   * added after training (new_entity_embeddings, from export.new-triples), ranked against the known
   * and the added entities alike, both directions; known triples = train + valid + test + the new
   * triples export placed them with ({@link Layout#NEW_TRIPLES}) + the file itself. by_region
   * splits the triples that touch an added entity from the others.
   */
  private static Map<String, Object> rankNewEntityTest(
      StageContext context,
      RankingConfig settings,
      String path,
      String modelName,
      int dim,
      float[] relations,
      int relationDim,
      int numRelations,
      Map<Integer, String> relationNames,
      Dataset<Row> embeddings,
      JavaPairRDD<Integer, float[]> entityRows)
      throws IOException {
    SparkSession spark = context.spark();
    OutputDirectory output = context.output();
    String what = "evaluate: " + NEW_ENTITY_TEST + " " + path;
    if (!output.fileSystem().exists(output.resolve(Layout.NEW_ENTITY_EMBEDDINGS))) {
      throw new PipelineException(
          what
              + ": "
              + output.resolve(Layout.NEW_ENTITY_EMBEDDINGS)
              + " does not exist: run export with export.new-triples (the triples that introduce the "
              + "new entities) first");
    }
    Dataset<Row> added =
        spark.read().parquet(output.resolve(Layout.NEW_ENTITY_EMBEDDINGS).toString());
    Dataset<Row> names = embeddings.select("id", "name").unionByName(added.select("id", "name"));
    // the relations' names, already on the driver: R rows
    Dataset<Row> relationDictionary =
        spark.createDataFrame(
            relationNames.entrySet().stream()
                .map(e -> RowFactory.create(e.getKey(), e.getValue()))
                .toList(),
            Layout.DICTIONARY_SCHEMA);
    String unknown = "has no embedding (neither in entity_embeddings nor in new_entity_embeddings)";
    Dataset<Row> test =
        NamedTriples.resolve(
            NamedTriples.read(spark, path, what), names, relationDictionary, what, unknown);
    Dataset<Row> known = RankingConfig.knownTriples(spark, output).union(test);
    // export.new-triples as export resolved it (written beside new_entity_embeddings)
    if (output.fileSystem().exists(output.resolve(Layout.NEW_TRIPLES))) {
      known =
          known.union(
              spark
                  .read()
                  .parquet(output.resolve(Layout.NEW_TRIPLES).toString())
                  .select("head", "relation", "tail"));
    }
    Dataset<Row> addedIds = added.select("id");
    long addedCount = addedIds.count();
    int numEntities = names.agg(max(col("id"))).first().getInt(0) + 1;
    JavaPairRDD<Integer, float[]> allRows = entityRows.union(vectors(added));
    context.progress().step("ranking " + path + " against the known and the added entities");
    DistributedRanking.Outcome outcome;
    try (DistributedRanking ranking =
        DistributedRanking.prepare(
            spark,
            withRegion(test, addedIds),
            known,
            numEntities,
            numRelations,
            settings.ranking(),
            what)) {
      outcome = ranking.rank(modelName, dim, relationDim, relations, allRows, true);
    }
    if (outcome.triples() == 0) {
      throw new PipelineException(what + ": the file holds no triples");
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("file", path);
    figures.put(
        "protocol",
        "filtered ranking against the known and the added entities, both directions; realistic rank; "
            + "known triples = train + valid + test + triples/new (export.new-triples as export read"
            + " it) + this file");
    figures.put("new_entities", addedCount);
    figures.put("triples", outcome.triples());
    RankMetrics touching = outcome.perRegion().get(PERIPHERY_REGION);
    figures.put("triples_touching_new_entities", touching == null ? 0 : touching.queries() / 2);
    figures.putAll(outcome.result().asMap());
    figures.put(
        "by_region",
        byRegion(
            outcome.perRegion(),
            "known: head and tail both in entity_embeddings; new: head or tail added after training "
                + "(new_entity_embeddings)",
            "known",
            "new"));
    return figures;
  }

  /** The (id, embedding) rows of exported embeddings as id -> vector. */
  private static JavaPairRDD<Integer, float[]> vectors(Dataset<Row> embeddings) {
    return embeddings
        .select("id", "embedding")
        .javaRDD()
        .mapToPair(r -> new Tuple2<>(r.getInt(0), SharedParams.toFloats(r.getList(1))));
  }

  static JsonNode readJson(OutputDirectory output, String file) throws IOException {
    Path path = output.resolve(file);
    if (!output.fileSystem().exists(path)) {
      return null;
    }
    try (InputStream in = output.fileSystem().open(path)) {
      return Json.mapper().readTree(in);
    }
  }
}
