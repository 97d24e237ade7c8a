package org.sparkkge.jobs.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.core.nodepiece.NodePieceEncoder;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.TaskDevices;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.ranking.DistributedRanking;
import org.sparkkge.jobs.ranking.RankingConfig;
import org.sparkkge.jobs.ranking.UnseenTriples;
import org.sparkkge.jobs.stage.StageContext;

/**
 * Validation during training (train.validation.*): after a round's checkpoint is written, a fixed
 * seeded subset of triples/valid is ranked with that round's parameters by the evaluate stage's
 * {@link DistributedRanking} (filtered against train + valid + test, both directions, realistic
 * ranks), always blockwise, so the entity table never reaches the driver. Shallow mode ranks the
 * checkpoint's entity table; NodePiece mode encodes every entity from its tokens with the round's
 * encoder on the executors, as export does. Valid triples with an entity or relation not in train
 * are left out or ranked as evaluate.unseen says. It only reads the checkpoint: training results do
 * not change.
 */
final class RoundValidation implements AutoCloseable {

  private final DistributedRanking ranking;
  private final long triples;
  private final Map<String, Object> unseen;
  private final TrainOptions options;
  private final Dataset<Row> tokens;
  private final TokenTables tokenTables;

  /** (id, name) of entities and relations, for naming a query in an error. */
  private final Dataset<Row> entityNames;

  private final Dataset<Row> relationNames;
  private DistributedRanking.Outcome last;

  private RoundValidation(
      DistributedRanking ranking,
      long triples,
      Map<String, Object> unseen,
      TrainOptions options,
      Dataset<Row> tokens,
      TokenTables tokenTables,
      Dataset<Row> entityNames,
      Dataset<Row> relationNames) {
    this.ranking = ranking;
    this.entityNames = entityNames;
    this.relationNames = relationNames;
    this.triples = triples;
    this.unseen = unseen;
    this.options = options;
    this.tokens = tokens;
    this.tokenTables = tokenTables;
  }

  /** Why a run has no validation, or null when it has one. */
  static String skipReason(OutputDirectory output, TrainOptions options) throws IOException {
    if (options.validationEveryRounds() == 0) {
      return "off (train.validation.every-rounds = 0)";
    }
    if (!output.fileSystem().exists(output.resolve(Layout.VALID_TRIPLES))) {
      return "no " + Layout.VALID_TRIPLES + " (ingest without input.valid)";
    }
    return null;
  }

  /**
   * Prepares the valid queries and their filters once for the whole run (call when skipReason is
   * null).
   */
  static RoundValidation open(
      StageContext context,
      TrainOptions options,
      int numEntities,
      int numRelations,
      TokenTables tokenTables)
      throws IOException {
    SparkSession spark = context.spark();
    OutputDirectory output = context.output();
    Dataset<Row> valid = Layout.read(spark, output, Layout.VALID_TRIPLES);
    // evaluate.unseen as in the evaluate stage: drop leaves the triples with an entity or relation
    // that is
    // not in triples/train out (counted over all of triples/valid, before the subset); rank keeps
    // them
    Dataset<Row> train = Layout.read(spark, output, Layout.TRAIN_TRIPLES);
    UnseenTriples.Policy policy = RankingConfig.unseenPolicy(context.config());
    long dropped = 0;
    if (policy == UnseenTriples.Policy.DROP) {
      dropped = UnseenTriples.count(valid, train);
      valid = UnseenTriples.seenOnly(valid, train);
    }
    if (options.validationMaxTriples() > 0) {
      // the same subset every round and on resume: lowest hash of (seed, triple), ties by the
      // triple
      valid =
          valid
              .orderBy(
                  xxhash64(lit(options.core().seed()), col("head"), col("relation"), col("tail")),
                  col("head"),
                  col("relation"),
                  col("tail"))
              .limit(options.validationMaxTriples());
    }
    DistributedRanking ranking =
        DistributedRanking.prepare(
            spark,
            valid,
            RankingConfig.knownTriples(spark, output),
            numEntities,
            numRelations,
            RankingConfig.of(context.config()).ranking(),
            "train: validation on " + Layout.VALID_TRIPLES);
    long triples = ranking.triples();
    long unseenRanked = policy == UnseenTriples.Policy.RANK ? UnseenTriples.count(valid, train) : 0;
    Map<String, Object> unseen =
        RankingConfig.unseenFigures(
            policy, policy == UnseenTriples.Policy.DROP ? dropped : unseenRanked);
    Dataset<Row> tokens =
        options.nodePiece()
            ? spark
                .read()
                .parquet(output.resolve(Layout.TOKENS).toString())
                .select("id", "anchors", "distances", "relations")
            : null;
    context
        .progress()
        .log(
            String.format(
                Locale.ROOT,
                "train: validation on %,d triples of %s after every %d round(s)"
                    + " (%,d with an entity or relation not in train %s: evaluate.unseen = %s)",
                triples,
                Layout.VALID_TRIPLES,
                options.validationEveryRounds(),
                policy == UnseenTriples.Policy.DROP ? dropped : unseenRanked,
                policy == UnseenTriples.Policy.DROP ? "left out" : "ranked",
                policy.name().toLowerCase(Locale.ROOT)));
    return new RoundValidation(
        ranking,
        triples,
        unseen,
        options,
        tokens,
        tokenTables,
        Layout.read(spark, output, Layout.ENTITIES),
        Layout.read(spark, output, Layout.RELATIONS));
  }

  /** Ranks the valid subset with the parameters of {@code round}; the fields for its round.json. */
  Map<String, Object> validate(
      SparkSession spark, Checkpoints checkpoints, int round, SharedParams params) {
    long started = System.nanoTime();
    Map<String, Object> fields = new LinkedHashMap<>();
    if (triples == 0) {
      fields.put("valid_mrr", null);
      fields.put("valid_triples", 0L);
      return fields;
    }
    String what = "train: validation after round " + round;
    Broadcast<List<TensorData>> weights = null;
    TaskDevices encodingDevices = null;
    JavaPairRDD<Integer, float[]> entityRows;
    if (tokens != null) {
      weights =
          JavaSparkContext.fromSparkContext(spark.sparkContext())
              .broadcast(TensorData.of(NodePieceEncoder.weightsOf(params.encoder())));
      encodingDevices = TaskDevices.register(spark.sparkContext(), "NodePiece encoding");
      entityRows =
          NodePieceEncoding.encode(tokens.javaRDD(), tokenTables, weights, encodingDevices);
    } else {
      entityRows =
          EntityTables.read(spark, checkpoints.entities(round)).mapValues(EntityRow::values);
    }
    try {
      last =
          ranking.rank(
              options.core().model(),
              options.core().dim(),
              params.relationDim(),
              params.relations(),
              entityRows,
              false);
    } catch (PipelineException e) {
      requireEncoded(encodingDevices, what);
      throw DistributedRanking.withNames(e, what, entityNames, relationNames);
    } finally {
      if (weights != null) {
        weights.destroy();
      }
    }
    // the ranking read the encoded rows: a task that could not use its GPU left some out
    requireEncoded(encodingDevices, what);
    fields.put("valid_mrr", last.result().realistic().mrr());
    fields.put("valid_hits@10", last.result().realistic().hitsAt10());
    fields.put("valid_triples", triples);
    fields.put("valid_nonfinite_true_scores", last.result().nonFiniteTrueScores());
    fields.put("valid_seconds", (System.nanoTime() - started) / 1e9);
    return fields;
  }

  private static void requireEncoded(TaskDevices encodingDevices, String what) {
    if (encodingDevices != null) {
      encodingDevices.requireUsable(what);
    }
  }

  /** The validation settings and ranking figures for stats.json. */
  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("every_rounds", options.validationEveryRounds());
    m.put("max_triples", options.validationMaxTriples());
    m.put("triples", triples);
    m.putAll(unseen);
    if (last != null) {
      m.putAll(last.describe());
    }
    return m;
  }

  @Override
  public void close() {
    ranking.close();
  }
}
