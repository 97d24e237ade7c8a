package org.sparkkge.jobs.graph;

import static org.apache.spark.sql.functions.aggregate;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.StageMarker;
import org.sparkkge.jobs.io.StatsFile;
import org.sparkkge.jobs.stage.Requirement;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.partitioner.Anchors;
import org.sparkkge.partitioner.NodePiece;
import org.sparkkge.partitioner.TokenizeConfig;

/**
 * NodePiece tokenization (partitioner {@link NodePiece}) over the whole training graph, so
 * periphery entities outside a k-core get tokens too: anchors chosen by degree / PageRank / random
 * or a mix, each entity's k nearest anchors with hop distances, and m relation tokens from its
 * incident edges. Every entity of {@code entities} gets a row; entities without training edges get
 * padding only.
 */
public final class TokenizeStage implements Stage {
  public static final String NAME = Layout.TOKENIZE;
  public static final List<String> DATASETS = List.of(Layout.TOKENS, Layout.VOCAB);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "NodePiece tokens: nearest anchors with hop distances and relation tokens for every entity.";
  }

  @Override
  public List<Requirement> requires(Config config) {
    return List.of(Requirement.of(Layout.TRAIN_TRIPLES));
  }

  @Override
  public List<String> produces(Config config) {
    return DATASETS;
  }

  @Override
  public void validate(Config config) {
    settings(config);
  }

  /** The tokenize.* keys of conf/spark-kge.conf as the partitioner's settings. */
  static TokenizeConfig settings(Config config) {
    try {
      String strategyName = config.getString("tokenize.strategy").trim();
      Anchors.Strategy strategy;
      try {
        strategy = Anchors.Strategy.valueOf(strategyName.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new UsageException(
            "tokenize.strategy must be one of degree, pagerank, random, mixture, got '"
                + strategyName
                + "'");
      }
      double degree = config.getDouble("tokenize.mix.degree");
      double pagerank = config.getDouble("tokenize.mix.pagerank");
      double random = config.getDouble("tokenize.mix.random");
      if (degree < 0
          || pagerank < 0
          || random < 0
          || Math.abs(degree + pagerank + random - 1.0) > 1e-6) {
        throw new UsageException(
            String.format(
                Locale.ROOT,
                "tokenize.mix.degree, .pagerank and .random must be non-negative shares summing to 1, got %s, %s, %s",
                degree,
                pagerank,
                random));
      }
      int maxHops = config.getInt("tokenize.max-hops");
      if (maxHops < 1) {
        throw new UsageException("tokenize.max-hops must be >= 1, got " + maxHops);
      }
      return new TokenizeConfig(
          config.getInt("tokenize.anchors"),
          config.getInt("tokenize.k"),
          config.getInt("tokenize.m"),
          strategy,
          degree,
          pagerank,
          random,
          maxHops,
          config.getLong("tokenize.seed"),
          config.getDouble("tokenize.pagerank.damping"),
          config.getDouble("tokenize.pagerank.tolerance"));
    } catch (ConfigException e) {
      throw new UsageException("invalid configuration: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      // TokenizeConfig's own range checks (anchors >= 1, k >= 1, m >= 0, damping in (0,1), ...).
      throw new UsageException(e.getMessage(), e);
    }
  }

  @Override
  public void run(StageContext context) throws Exception {
    TokenizeConfig settings = settings(context.config());
    Dataset<Row> train = Layout.read(context.spark(), context.output(), Layout.TRAIN_TRIPLES);
    long entities = Layout.read(context.spark(), context.output(), Layout.ENTITIES).count();
    long relations = Layout.read(context.spark(), context.output(), Layout.RELATIONS).count();

    // Anchor candidates are the entities with at least one non-loop training edge. A graph with
    // fewer
    // of them than tokenize.anchors (a small graph under the default 1000) uses all of them,
    // loudly;
    // the partitioner counts them while choosing, so no separate pass over the triples is needed.
    StageMarker marker =
        context.addDatasets(
            DATASETS,
            staging -> {
              context
                  .progress()
                  .step("choosing " + settings.anchors() + " anchors and finding the nearest ones");
              NodePiece.Tokenization tokenization;
              try {
                tokenization =
                    GraphDatasets.withPregelCheckpoints(
                        context,
                        staging,
                        () -> NodePiece.tokenize(train, entities, (int) relations, settings, true));
              } catch (IllegalArgumentException e) {
                // e.g. no edge between two different entities: no anchor candidates
                throw new PipelineException("tokenize: " + e.getMessage(), e);
              }
              int used = tokenization.anchors().size();
              if (used < settings.anchors()) {
                context
                    .progress()
                    .log(
                        String.format(
                            Locale.ROOT,
                            "tokenize: WARNING tokenize.anchors = %d exceeds the %d entities with a training edge: using all %d as anchors",
                            settings.anchors(),
                            used,
                            used));
              }
              context.progress().step("writing tokens");
              Dataset<Row> tokens =
                  GraphDatasets.writeAndReread(
                      context, tokenization.tokens(), new Path(staging, Layout.TOKENS));
              Dataset<Row> vocab =
                  GraphDatasets.writeAndReread(
                      context, tokenization.vocab(), new Path(staging, Layout.VOCAB));
              context.progress().step("computing statistics");
              return stats(settings, tokenization, tokens, vocab.count());
            });
    StatsFile.putSection(context.output(), Layout.STATS_JSON, NAME, marker.counts());
    report(context, marker.counts());
  }

  private static Map<String, Object> stats(
      TokenizeConfig settings,
      NodePiece.Tokenization tokenization,
      Dataset<Row> tokens,
      long vocabSize) {
    int k = settings.k();
    int m = settings.m();
    Column found = filter(col("distances"), d -> d.geq(0));
    Column relationsFound = filter(col("relations"), r -> r.geq(0));
    Row row =
        tokens
            .select(
                size(found).as("found"),
                aggregate(found, lit(0L), (acc, d) -> acc.plus(d)).as("distance_sum"),
                element_at(col("distances"), 1).as("nearest"),
                size(relationsFound).as("relations_found"))
            .agg(
                count(lit(1)),
                sum(when(col("found").lt(k), 1).otherwise(0)),
                sum(when(col("found").equalTo(0), 1).otherwise(0)),
                sum(col("found")),
                sum(col("distance_sum")),
                avg(when(col("nearest").geq(0), col("nearest"))),
                max(when(col("found").gt(0), col("nearest"))),
                sum(when(col("relations_found").lt(m), 1).otherwise(0)))
            .first();
    long entities = row.getLong(0);
    long fewerThanK = row.isNullAt(1) ? 0 : row.getLong(1);
    long withoutAnchor = row.isNullAt(2) ? 0 : row.getLong(2);
    long pairs = row.isNullAt(3) ? 0 : row.getLong(3);
    long distanceSum = row.isNullAt(4) ? 0 : row.getLong(4);
    double meanNearest = row.isNullAt(5) ? 0 : row.getDouble(5);
    int farthestNearest = row.isNullAt(6) ? 0 : row.getInt(6);
    long fewerThanM = row.isNullAt(7) ? 0 : row.getLong(7);

    Anchors.Selection anchors = tokenization.anchors();
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("anchors", anchors.size());
    stats.put("anchors_requested", settings.anchors());
    stats.put("k", k);
    stats.put("m", m);
    stats.put("strategy", settings.strategy().name().toLowerCase(Locale.ROOT));
    Map<String, Object> byStrategy = new LinkedHashMap<>();
    byStrategy.put("degree", anchors.byDegree());
    byStrategy.put("pagerank", anchors.byPagerank());
    byStrategy.put("random", anchors.byRandom());
    stats.put("anchors_by_strategy", byStrategy);
    stats.put("seed", settings.seed());
    stats.put("max_hops", settings.maxHops());
    stats.put("pagerank_tolerance", settings.pagerankTolerance());
    stats.put("bfs_rounds", tokenization.bfsRounds());
    stats.put("entities", entities);
    stats.put("entities_fewer_than_k_anchors", fewerThanK);
    stats.put("share_fewer_than_k_anchors", GraphDatasets.share(fewerThanK, entities));
    stats.put("entities_without_anchor", withoutAnchor);
    stats.put(
        "mean_anchor_distance",
        pairs == 0 ? 0.0 : GraphDatasets.round6(distanceSum / (double) pairs));
    stats.put("mean_nearest_anchor_distance", GraphDatasets.round6(meanNearest));
    stats.put("max_nearest_anchor_distance", farthestNearest);
    stats.put("entities_fewer_than_m_relations", fewerThanM);
    stats.put("share_fewer_than_m_relations", GraphDatasets.share(fewerThanM, entities));
    stats.put("vocab_size", vocabSize);
    return stats;
  }

  private static void report(StageContext context, Map<String, Object> stats) {
    @SuppressWarnings("unchecked")
    Map<String, Object> byStrategy = (Map<String, Object>) stats.get("anchors_by_strategy");
    context
        .out()
        .printf(
            Locale.ROOT,
            "tokenize: %d anchors (degree %d, pagerank %d, random %d), k = %d, m = %d, %d BFS rounds%n"
                + "tokenize: %,d entities; %.2f %% reach fewer than k anchors (%,d none); mean anchor distance %.3f hops%n",
            stats.get("anchors"),
            byStrategy.get("degree"),
            byStrategy.get("pagerank"),
            byStrategy.get("random"),
            stats.get("k"),
            stats.get("m"),
            stats.get("bfs_rounds"),
            stats.get("entities"),
            100 * (double) stats.get("share_fewer_than_k_anchors"),
            stats.get("entities_without_anchor"),
            stats.get("mean_anchor_distance"));
    context.out().flush();
  }
}
