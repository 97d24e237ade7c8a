package org.sparkkge.jobs.ranking;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.jobs.UsageException;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.OutputDirectory;

/**
 * The evaluate.* settings and what filtered ranking needs from the output directory, shared by the
 * evaluate stage, training's per-round validation and ingest's report of unseen triples.
 */
public record RankingConfig(
    String split,
    long broadcastBudgetBytes,
    int queryGroups,
    int batchSize,
    UnseenTriples.Policy unseen) {
  public DistributedRanking.Settings ranking() {
    return new DistributedRanking.Settings(broadcastBudgetBytes, queryGroups, batchSize);
  }

  /** The evaluate.* settings, checked: usage errors name the key. */
  public static RankingConfig of(Config config) {
    try {
      String split = config.getString("evaluate.split");
      if (!split.equals("test") && !split.equals("valid")) {
        throw new UsageException("evaluate.split must be test or valid, got '" + split + "'");
      }
      long budget = config.getBytes("evaluate.broadcast-budget-bytes");
      int groups = config.getInt("evaluate.query-groups");
      int batch = config.getInt("evaluate.batch-size");
      if (budget <= 0 || groups < 0 || batch <= 0) {
        throw new UsageException(
            "evaluate: broadcast-budget-bytes and batch-size must be > 0, query-groups >= 0");
      }
      return new RankingConfig(split, budget, groups, batch, unseenPolicy(config));
    } catch (ConfigException e) {
      throw new UsageException("invalid evaluate configuration: " + e.getMessage(), e);
    }
  }

  /**
   * Every known true triple (train + valid + test, those that exist): what filtered ranking
   * filters.
   */
  public static Dataset<Row> knownTriples(SparkSession spark, OutputDirectory output)
      throws IOException {
    Dataset<Row> known = null;
    for (String split : List.of("train", "valid", "test")) {
      if (output.fileSystem().exists(output.resolve(Layout.triples(split)))) {
        Dataset<Row> part = Layout.read(spark, output, Layout.triples(split));
        known = known == null ? part : known.union(part);
      }
    }
    return known;
  }

  /** evaluate.unseen: what ranking does with triples whose entity or relation is not in train. */
  public static UnseenTriples.Policy unseenPolicy(Config config) {
    String value = config.getString("evaluate.unseen").trim().toLowerCase(Locale.ROOT);
    return switch (value) {
      case "drop" -> UnseenTriples.Policy.DROP;
      case "rank" -> UnseenTriples.Policy.RANK;
      default ->
          throw new UsageException("evaluate.unseen must be drop or rank, got '" + value + "'");
    };
  }

  /** The figures of evaluate.unseen for metrics.json and stats.json. */
  public static Map<String, Object> unseenFigures(UnseenTriples.Policy policy, long unseen) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("unseen_policy", policy.name().toLowerCase(Locale.ROOT));
    m.put("unseen_triples_dropped", policy == UnseenTriples.Policy.DROP ? unseen : 0L);
    m.put("unseen_triples_ranked", policy == UnseenTriples.Policy.RANK ? unseen : 0L);
    return m;
  }
}
