package org.sparkkge.jobs.graph;

import static org.apache.spark.sql.functions.col;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.StageMarker;
import org.sparkkge.jobs.io.StatsFile;
import org.sparkkge.jobs.stage.Requirement;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.partitioner.KCore;
import org.sparkkge.partitioner.KCoreStats;
import org.sparkkge.partitioner.UndirectedGraph;

/**
 * k-core reduction of the training graph (partitioner {@link KCore}): core number of every training
 * entity, the training triples whose two ends are both in the k-core (reduce.k; 0 = off, every
 * triple), and the BFS distance of every entity outside the core from it (the order in which the
 * periphery gets embeddings after training on the core). Only O(max core number) and O(max
 * distance) histograms reach the driver.
 */
public final class ReduceStage implements Stage {
  public static final String NAME = Layout.REDUCE;
  public static final List<String> DATASETS =
      List.of(Layout.CORE_NUMBERS, Layout.CORE_TRIPLES, Layout.PERIPHERY);
  public static final StructType PERIPHERY_SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("distance", DataTypes.IntegerType, false);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "k-core decomposition of the training graph: core numbers, core triples (reduce.k), periphery distances.";
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
    choice(config);
  }

  /**
   * reduce.k as given: a fixed k, or (auto) the largest k whose core keeps at least
   * reduce.min-triple-share of the training triples, chosen once the core numbers are known.
   */
  record KChoice(int fixedK, double minTripleShare) {
    boolean auto() {
      return fixedK < 0;
    }

    /** The k to use for the graph measured by {@code sizes}. */
    int resolve(KCoreStats sizes) {
      if (!auto()) {
        return fixedK;
      }
      for (int level = sizes.maxCore(); level >= 1; level--) {
        if (sizes.level(level).tripleShare() >= minTripleShare) {
          return level;
        }
      }
      return 0;
    }

    String describe() {
      return auto()
          ? String.format(
              Locale.ROOT,
              "auto: the largest k whose core keeps >= %s of the training triples"
                  + " (reduce.min-triple-share)",
              minTripleShare)
          : "fixed (reduce.k)";
    }
  }

  static KChoice choice(Config config) {
    try {
      double share = config.getDouble("reduce.min-triple-share");
      if (!(share > 0 && share <= 1)) {
        throw new UsageException("reduce.min-triple-share must be in (0, 1], got " + share);
      }
      String given = config.getString("reduce.k").trim();
      if (given.equalsIgnoreCase("auto")) {
        return new KChoice(-1, share);
      }
      int k;
      try {
        k = Integer.parseInt(given);
      } catch (NumberFormatException e) {
        throw new UsageException(
            "reduce.k must be an integer >= 0 (0 = no reduction) or auto, got '" + given + "'");
      }
      if (k < 0) {
        throw new UsageException("reduce.k must be >= 0 (0 = no reduction) or auto, got " + k);
      }
      return new KChoice(k, share);
    } catch (ConfigException e) {
      throw new UsageException("invalid configuration: " + e.getMessage(), e);
    }
  }

  @Override
  public void run(StageContext context) throws Exception {
    KChoice k = choice(context.config());
    Dataset<Row> train = Layout.read(context.spark(), context.output(), Layout.TRAIN_TRIPLES);

    StageMarker marker =
        context.addDatasets(DATASETS, staging -> write(context, train, k, staging));
    StatsFile.putSection(context.output(), Layout.STATS_JSON, NAME, marker.counts());
    report(context, k, marker.counts());
  }

  /** Writes the stage's datasets under {@code staging}; returns the stage's statistics. */
  private static Map<String, Object> write(
      StageContext context, Dataset<Row> train, KChoice choice, Path staging) throws Exception {
    // One GraphX graph for both Pregel programs; their checkpoints go under the staging
    // directory, which the commit removes.
    UndirectedGraph graph = UndirectedGraph.of(train);
    try {
      context.progress().step("computing core numbers (k-core decomposition)");
      Dataset<Row> cores =
          GraphDatasets.writeAndReread(
              context,
              GraphDatasets.withPregelCheckpoints(
                  context, staging, () -> KCore.coreNumbers(graph, train, 0)),
              new Path(staging, Layout.CORE_NUMBERS));

      context.progress().step("measuring the k-cores for every k");
      KCoreStats sizes = KCore.stats(train, cores);
      int k = choice.resolve(sizes);
      if (k > sizes.maxCore()) {
        throw new PipelineException(
            String.format(
                Locale.ROOT,
                "reduce: reduce.k = %d exceeds the largest core number of triples/train (%d): the core"
                    + " would be empty; choose reduce.k between 1 and %d, or 0 for no reduction",
                k,
                sizes.maxCore(),
                sizes.maxCore()));
      }

      context
          .progress()
          .step(
              k == 0
                  ? "copying triples/train to triples/core (reduce.k = 0)"
                  : "writing the " + k + "-core triples");
      Dataset<Row> coreTriples =
          GraphDatasets.writeAndReread(
              context, KCore.reduce(train, cores, k), new Path(staging, Layout.CORE_TRIPLES));

      context.progress().step("periphery: BFS distances from the core");
      Dataset<Row> periphery =
          k == 0
              ? context.spark().createDataFrame(List.<Row>of(), PERIPHERY_SCHEMA)
              : GraphDatasets.withPregelCheckpoints(
                      context, staging, () -> KCore.peripheryLayers(graph, cores, k))
                  .filter(col("core_number").lt(k))
                  .select(col("id"), col("layer").as("distance"));
      Dataset<Row> writtenPeriphery =
          GraphDatasets.writeAndReread(context, periphery, new Path(staging, Layout.PERIPHERY));

      context.progress().step("computing statistics");
      return stats(k, choice, sizes, coreTriples.count(), writtenPeriphery);
    } finally {
      graph.release();
    }
  }

  private static Map<String, Object> stats(
      int k, KChoice choice, KCoreStats sizes, long coreTriples, Dataset<Row> periphery) {
    KCoreStats.Level chosen = sizes.level(k);
    if (chosen.triples() != coreTriples) {
      throw new IllegalStateException(
          Layout.CORE_TRIPLES
              + " holds "
              + coreTriples
              + " triples but the k-core histogram counts "
              + chosen.triples());
    }
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("k", k);
    stats.put("k_rule", choice.describe());
    stats.put("entities", sizes.totalEntities());
    stats.put("triples", sizes.totalTriples());
    stats.put("max_core_number", sizes.maxCore());
    stats.put("core", level(chosen));

    // One row per distance value: O(max distance) rows reach the driver.
    Map<String, Object> byDistance = new LinkedHashMap<>();
    long peripheryEntities = 0;
    long unreachable = 0;
    int maxDistance = 0;
    for (Row row : periphery.groupBy("distance").count().orderBy("distance").collectAsList()) {
      int distance = row.getInt(0);
      long count = row.getLong(1);
      peripheryEntities += count;
      if (distance == KCore.UNREACHABLE) {
        unreachable = count;
      } else {
        byDistance.put(Integer.toString(distance), count);
        maxDistance = Math.max(maxDistance, distance);
      }
    }
    Map<String, Object> peripheryStats = new LinkedHashMap<>();
    peripheryStats.put("entities", peripheryEntities);
    peripheryStats.put("reachable", peripheryEntities - unreachable);
    peripheryStats.put("unreachable", unreachable);
    peripheryStats.put("max_distance", maxDistance);
    peripheryStats.put("by_distance", byDistance);
    stats.put("periphery", peripheryStats);

    List<Object> perK = new ArrayList<>();
    for (int level = 1; level <= sizes.maxCore(); level++) {
      perK.add(level(sizes.level(level)));
    }
    stats.put("per_k", perK);
    return stats;
  }

  private static Map<String, Object> level(KCoreStats.Level level) {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("k", level.k());
    figures.put("entities", level.entities());
    figures.put("triples", level.triples());
    figures.put("entity_share", GraphDatasets.round6(level.entityShare()));
    figures.put("triple_share", GraphDatasets.round6(level.tripleShare()));
    return figures;
  }

  @SuppressWarnings("unchecked")
  private static void report(StageContext context, KChoice choice, Map<String, Object> stats) {
    Map<String, Object> core = (Map<String, Object>) stats.get("core");
    Map<String, Object> periphery = (Map<String, Object>) stats.get("periphery");
    if (choice.auto()) {
      context
          .out()
          .printf(
              Locale.ROOT,
              "reduce: reduce.k = auto chose k = %d (%s)%n",
              stats.get("k"),
              choice.describe());
    }
    context
        .out()
        .printf(
            Locale.ROOT,
            "reduce: max core number %d; %d-core: %,d of %,d entities (%.1f %%), %,d of %,d triples (%.1f %%)%n"
                + "reduce: periphery %,d entities (%,d reachable, farthest %d hops; %,d unreachable)%n",
            stats.get("max_core_number"),
            stats.get("k"),
            core.get("entities"),
            stats.get("entities"),
            100 * (double) core.get("entity_share"),
            core.get("triples"),
            stats.get("triples"),
            100 * (double) core.get("triple_share"),
            periphery.get("entities"),
            periphery.get("reachable"),
            periphery.get("max_distance"),
            periphery.get("unreachable"));
    context.out().flush();
  }
}
