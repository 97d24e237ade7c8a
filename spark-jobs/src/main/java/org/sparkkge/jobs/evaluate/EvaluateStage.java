package org.sparkkge.jobs.evaluate;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.hash;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.pmod;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.core.eval.RankMetrics;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.export.ExportStage;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.jobs.train.SharedParams;
import org.sparkkge.jobs.train.StatsFile;
import org.sparkkge.jobs.train.TrainStage;
import scala.Tuple2;

/**
 * Filtered link-prediction ranking of the exported embeddings, distributed over query groups. Each
 * test triple goes to a group by hash; the known triples that can filter its queries, (h, r, *) and
 * (*, r, t) of train + valid + test, are joined to the group by those keys (never collected). Each
 * group runs embedding-core's {@link LinkPredictionEvaluator} on its queries against the broadcast
 * entity matrix; the partial sums merge on the driver. Realistic ranks (ties: mean of optimistic and
 * pessimistic), MRR, MR, Hits@1/3/10, overall and per relation.
 */
public final class EvaluateStage implements Stage {
  public static final String NAME = "evaluate";
  public static final String PER_RELATION = "evaluation/per_relation";

  record Settings(String split, long broadcastBudgetBytes, int queryGroups, int batchSize) {}

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
    settings(config);
  }

  static Settings settings(Config config) {
    try {
      String split = config.getString("evaluate.split");
      if (!split.equals("test") && !split.equals("valid")) {
        throw new UsageException("evaluate.split must be test or valid, got '" + split + "'");
      }
      long budget = config.getBytes("evaluate.broadcast-budget-bytes");
      int groups = config.getInt("evaluate.query-groups");
      int batch = config.getInt("evaluate.batch-size");
      if (budget <= 0 || groups < 0 || batch <= 0) {
        throw new UsageException("evaluate: broadcast-budget-bytes and batch-size must be > 0, query-groups >= 0");
      }
      return new Settings(split, budget, groups, batch);
    } catch (ConfigException e) {
      throw new UsageException("invalid evaluate configuration: " + e.getMessage(), e);
    }
  }

  @Override
  public void run(StageContext context) throws Exception {
    Settings settings = settings(context.config());
    SparkSession spark = context.spark();
    OutputDirectory output = context.output();
    if (output.isStageComplete(NAME) && !context.overwrite()) {
      throw new org.sparkkge.jobs.PipelineException(NAME + ": its outputs already exist in " + output.path()
          + "; use --overwrite to replace them");
    }
    TrainStage.requireDataset(output, ExportStage.NAME, ExportStage.ENTITY_EMBEDDINGS);
    String splitPath = "triples/" + settings.split();
    if (!output.fileSystem().exists(output.resolve(splitPath))) {
      throw new PipelineException("evaluate: missing dataset " + splitPath + " (written by the ingest stage when "
          + "input." + settings.split() + " is given)");
    }
    String compression = context.config().getString("output.compression");
    JsonNode model;
    try (InputStream in = output.fileSystem().open(output.resolve(ExportStage.MODEL_JSON))) {
      model = StatsFile.json().readTree(in);
    }
    String modelName = model.get("model").asText();
    int dim = model.get("dim").asInt();

    Dataset<Row> embeddings = spark.read().parquet(output.resolve(ExportStage.ENTITY_EMBEDDINGS).toString());
    Row maxId = embeddings.agg(max(col("id"))).first();
    int numEntities = maxId.getInt(0) + 1;
    long matrixBytes = (long) numEntities * dim * 4;
    if (matrixBytes > settings.broadcastBudgetBytes()) {
      throw new PipelineException(String.format(Locale.ROOT,
          "evaluate: the entity matrix (%,d entities x dim %d x 4 bytes = %,d bytes) exceeds "
              + "evaluate.broadcast-budget-bytes (%,d); raise it together with the driver and executor memory",
          numEntities, dim, matrixBytes, settings.broadcastBudgetBytes()));
    }
    context.progress().step("broadcasting the entity matrix");
    float[] matrix = new float[numEntities * dim];
    // within the configured budget the matrix is collected once and broadcast (docs/outputs.md)
    for (Row row : embeddings.select("id", "embedding").collectAsList()) {
      float[] v = SharedParams.toFloats(row.getList(1));
      System.arraycopy(v, 0, matrix, row.getInt(0) * dim, dim);
    }
    List<Row> relationRows = spark.read().parquet(output.resolve(ExportStage.RELATION_EMBEDDINGS).toString())
        .select("id", "name", "embedding").collectAsList();
    int numRelations = relationRows.stream().mapToInt(r -> r.getInt(0)).max().orElse(-1) + 1;
    int relationDim = relationRows.get(0).getList(2).size();
    float[] relations = new float[numRelations * relationDim];
    Map<Integer, String> relationNames = new LinkedHashMap<>();
    for (Row row : relationRows) {
      System.arraycopy(SharedParams.toFloats(row.getList(2)), 0, relations, row.getInt(0) * relationDim, relationDim);
      relationNames.put(row.getInt(0), row.getString(1));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<float[]> entityMatrix = jsc.broadcast(matrix);
    Broadcast<float[]> relationMatrix = jsc.broadcast(relations);

    int groups = settings.queryGroups() > 0 ? settings.queryGroups() : Math.max(1, spark.sparkContext().defaultParallelism() * 2);
    Dataset<Row> queries = spark.read().parquet(output.resolve(splitPath).toString())
        .select("head", "relation", "tail")
        .withColumn("g", pmod(hash(col("head"), col("relation"), col("tail")), lit(groups)));
    Dataset<Row> known = null;
    for (String split : List.of("train", "valid", "test")) {
      if (output.fileSystem().exists(output.resolve("triples/" + split))) {
        Dataset<Row> part = spark.read().parquet(output.resolve("triples/" + split).toString())
            .select("head", "relation", "tail");
        known = known == null ? part : known.union(part);
      }
    }
    // the known triples that filter a group's queries: same (head, relation) or same (relation, tail)
    Dataset<Row> byHeadKeys = queries.select("g", "head", "relation").distinct()
        .join(known, new String[] {"head", "relation"});
    Dataset<Row> byTailKeys = queries.select("g", "relation", "tail").distinct()
        .join(known, new String[] {"relation", "tail"});
    Dataset<Row> filters = byHeadKeys.select("g", "head", "relation", "tail")
        .union(byTailKeys.select("g", "head", "relation", "tail")).distinct();

    HashPartitioner partitioner = new HashPartitioner(groups);
    JavaPairRDD<Integer, int[]> queryRdd = queries.javaRDD()
        .mapToPair(r -> new Tuple2<>(r.getInt(3), new int[] {r.getInt(0), r.getInt(1), r.getInt(2)}));
    JavaPairRDD<Integer, int[]> filterRdd = filters.javaRDD()
        .mapToPair(r -> new Tuple2<>(r.getInt(0), new int[] {r.getInt(1), r.getInt(2), r.getInt(3)}));
    int batch = settings.batchSize();
    int ne = numEntities;
    int nr = numRelations;
    int rd = relationDim;
    context.progress().step("ranking " + settings.split() + " queries in " + groups + " groups");
    List<RankSums> partials = queryRdd.cogroup(filterRdd, partitioner)
        .filter(g -> g._2()._1().iterator().hasNext())
        .map(g -> {
          TripleArrays test = sorted(g._2()._1());
          TripleArrays knownTriples = sorted(g._2()._2());
          ModelParameters params = new ModelParameters(modelName, ne, nr, dim, rd, entityMatrix.value(),
              relationMatrix.value(), new float[ne], new float[nr], List.of());
          ai.djl.engine.Engine.getInstance();
          EvaluationResult r = LinkPredictionEvaluator.evaluate(params, test, knownTriples, 0, batch, 0L,
              Device.cpu());
          return RankSums.of(r);
        })
        .collect();
    entityMatrix.destroy();
    relationMatrix.destroy();
    if (partials.isEmpty()) {
      throw new PipelineException("evaluate: " + splitPath + " holds no triples");
    }
    EvaluationResult result = partials.get(0).toResult();
    for (int i = 1; i < partials.size(); i++) {
      result = result.plus(partials.get(i).toResult());
    }

    Map<String, Object> overall = new LinkedHashMap<>();
    overall.put("split", settings.split());
    overall.put("protocol", "filtered ranking against all entities, both directions; realistic rank = mean of "
        + "optimistic and pessimistic rank; known triples = train + valid + test");
    overall.putAll(result.asMap());
    Map<String, Object> perRelation = new LinkedHashMap<>();
    List<Row> relationMetricRows = new ArrayList<>();
    for (Map.Entry<Integer, RankMetrics> e : result.perRelation().entrySet()) {
      RankMetrics m = e.getValue();
      String name = relationNames.getOrDefault(e.getKey(), String.valueOf(e.getKey()));
      perRelation.put(name, Map.of("queries", m.queries(), "mrr", m.mrr(), "mr", m.meanRank(),
          "hits@1", m.hitsAt1(), "hits@3", m.hitsAt3(), "hits@10", m.hitsAt10()));
      relationMetricRows.add(RowFactory.create(e.getKey(), name, m.queries(), m.mrr(), m.meanRank(), m.hitsAt1(),
          m.hitsAt3(), m.hitsAt10()));
    }
    relationMetricRows.sort(Comparator.comparingInt(r -> r.getInt(0)));
    StructType perRelationSchema = new StructType()
        .add("relation", DataTypes.IntegerType, false).add("name", DataTypes.StringType, false)
        .add("queries", DataTypes.LongType, false).add("mrr", DataTypes.DoubleType, false)
        .add("mr", DataTypes.DoubleType, false).add("hits_at_1", DataTypes.DoubleType, false)
        .add("hits_at_3", DataTypes.DoubleType, false).add("hits_at_10", DataTypes.DoubleType, false);
    Map<String, Object> evaluation = new LinkedHashMap<>(overall);
    evaluation.put("per_relation", perRelation);

    context.addDatasets(List.of(ExportStage.METRICS_JSON, PER_RELATION), staging -> {
      spark.createDataFrame(relationMetricRows, perRelationSchema).coalesce(1).write()
          .option("compression", compression).parquet(new Path(staging, PER_RELATION).toString());
      JsonNode previous = readJson(output, ExportStage.METRICS_JSON);
      ObjectNode metrics = previous instanceof ObjectNode o ? o : StatsFile.json().createObjectNode();
      metrics.set("evaluation", StatsFile.json().valueToTree(evaluation));
      StatsFile.write(output.fileSystem(), new Path(staging, ExportStage.METRICS_JSON), metrics);
      return overall;
    });
    StatsFile.putSection(output, "stats.json", NAME, overall);
    context.out().println("evaluate: " + settings.split() + " " + result);
    context.out().flush();
  }

  static JsonNode readJson(OutputDirectory output, String file) throws java.io.IOException {
    Path path = output.resolve(file);
    if (!output.fileSystem().exists(path)) {
      return null;
    }
    try (InputStream in = output.fileSystem().open(path)) {
      return StatsFile.json().readTree(in);
    }
  }

  /** The triples in (head, relation, tail) order, so a group's result does not depend on shuffle order. */
  static TripleArrays sorted(Iterable<int[]> triples) {
    List<int[]> list = new ArrayList<>();
    triples.forEach(list::add);
    list.sort(Comparator.<int[]>comparingInt(t -> t[0]).thenComparingInt(t -> t[1]).thenComparingInt(t -> t[2]));
    int[] h = new int[list.size()];
    int[] r = new int[list.size()];
    int[] t = new int[list.size()];
    for (int i = 0; i < list.size(); i++) {
      h[i] = list.get(i)[0];
      r[i] = list.get(i)[1];
      t[i] = list.get(i)[2];
    }
    return new TripleArrays(h, r, t);
  }

}
