package org.sparkkge.jobs.graph;

import static org.apache.spark.sql.functions.col;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.StageMarker;
import org.sparkkge.jobs.io.StatsFile;
import org.sparkkge.jobs.stage.Requirement;
import org.sparkkge.jobs.stage.Stage;
import org.sparkkge.jobs.stage.StageContext;
import org.sparkkge.partitioner.EdgePartitioner;
import org.sparkkge.partitioner.PartitionQuality;

/**
 * Splits the training triples into shards for the train stage (partitioner {@link
 * EdgePartitioner}): triples/core when the reduce stage ran, else triples/train. Writes
 * triples/partitioned (head, relation, tail, shard) range-partitioned and sorted by shard, so each
 * part file covers a few shards and Parquet min/max statistics let a reader of one shard skip the
 * others.
 */
public final class PartitionStage implements Stage {
  public static final String NAME = Layout.PARTITION;
  public static final List<String> DATASETS = List.of(Layout.PARTITIONED_TRIPLES);

  /** partition.* settings; shards = 0 means the default of {@link DefaultShards}. */
  record Settings(int shards, EdgePartitioner.Strategy strategy, long seed) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "Split the (core) training triples into shards: random, bucket2d or locality; report balance.";
  }

  @Override
  public List<Requirement> requires(Config config) {
    List<Requirement> required = new ArrayList<>(List.of(Requirement.of(Layout.TRAIN_TRIPLES)));
    if (settings(config).strategy() == EdgePartitioner.Strategy.LOCALITY) {
      required.add(
          Requirement.because(
              Layout.TOKENS,
              "partition.strategy = locality groups triples by the head's nearest anchor; random and bucket2d need no tokens"));
    }
    return required;
  }

  @Override
  public List<String> produces(Config config) {
    return DATASETS;
  }

  @Override
  public void validate(Config config) {
    settings(config);
  }

  static Settings settings(Config config) {
    try {
      int shards = config.getInt("partition.shards");
      if (shards < 0) {
        throw new UsageException(
            "partition.shards must be >= 0 (0 = one per task slot, GPU or local core), got "
                + shards);
      }
      EdgePartitioner.Strategy strategy;
      try {
        strategy = EdgePartitioner.Strategy.parse(config.getString("partition.strategy"));
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage(), e);
      }
      return new Settings(shards, strategy, config.getLong("partition.seed"));
    } catch (ConfigException e) {
      throw new UsageException("invalid configuration: " + e.getMessage(), e);
    }
  }

  @Override
  public void run(StageContext context) throws Exception {
    Settings settings = settings(context.config());
    boolean reduced = context.output().isStageComplete(Layout.REDUCE);
    String input = reduced ? Layout.CORE_TRIPLES : Layout.TRAIN_TRIPLES;
    Dataset<Row> tokens =
        settings.strategy() == EdgePartitioner.Strategy.LOCALITY
            ? GraphDatasets.read(context, Layout.TOKENS)
            : null;

    DefaultShards defaults = DefaultShards.of(context.spark().sparkContext());
    int shards = settings.shards() > 0 ? settings.shards() : defaults.shards();
    String shardsFrom =
        settings.shards() > 0 ? "partition.shards" : "default: " + defaults.reason();
    String strategy = settings.strategy().name().toLowerCase(Locale.ROOT);
    Dataset<Row> triples = GraphDatasets.read(context, input);
    Dataset<Row> tokenTable = tokens;

    StageMarker marker =
        context.addDatasets(
            DATASETS,
            staging -> {
              context
                  .progress()
                  .step("partitioning " + input + " into " + shards + " shards (" + strategy + ")");
              Dataset<Row> partitioned =
                  EdgePartitioner.partition(
                          triples, settings.strategy(), shards, settings.seed(), tokenTable)
                      .repartitionByRange(shards, col("shard"))
                      .sortWithinPartitions("shard");
              Dataset<Row> written =
                  GraphDatasets.writeAndReread(
                      context, partitioned, new Path(staging, Layout.PARTITIONED_TRIPLES));
              context.progress().step("measuring partition quality");
              PartitionQuality quality = EdgePartitioner.quality(written, shards, strategy);
              Map<String, Object> stats = new LinkedHashMap<>();
              stats.put("input", input);
              stats.put("strategy", strategy);
              stats.put("shards", shards);
              stats.put("shards_from", shardsFrom);
              stats.put("seed", settings.seed());
              stats.put("triples", quality.triples());
              stats.put("balance", GraphDatasets.round6(quality.balance()));
              stats.put("replication_factor", GraphDatasets.round6(quality.replicationFactor()));
              stats.put("entities", quality.entities());
              stats.put("relations", quality.relations());
              stats.put(
                  "relations_in_every_shard",
                  GraphDatasets.round6(quality.relationsInEveryShard()));
              stats.put("shard_sizes", Arrays.stream(quality.shardSizes()).boxed().toList());
              return stats;
            });
    StatsFile.putSection(context.output(), Layout.STATS_JSON, NAME, marker.counts());
    Map<String, Object> stats = marker.counts();
    context
        .out()
        .printf(
            Locale.ROOT,
            "partition: %,d triples of %s into %d shards (%s, %s): balance max/mean %.4f, replication factor %.4f,"
                + " %.1f %% of relations in every shard%n",
            stats.get("triples"),
            input,
            shards,
            strategy,
            shardsFrom,
            stats.get("balance"),
            stats.get("replication_factor"),
            100 * (double) stats.get("relations_in_every_shard"));
    context.out().flush();
  }
}
