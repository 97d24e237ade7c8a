package org.sparkkge.jobs.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.core.eval.NonFiniteScoreException;
import org.sparkkge.core.eval.RankMetrics;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;
import org.sparkkge.jobs.Devices;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.TaskDevices;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.train.TrainFixtures;
import scala.Tuple2;

/**
 * The broadcast and the blockwise paths of {@link DistributedRanking} against embedding-core's
 * single-process {@link LinkPredictionEvaluator}, on UMLS's triples with synthetic embeddings full
 * of exact ties: only 40 distinct entity rows for 135 entities (duplicated rows score the same, so
 * the answer ties with its copies and copies sit in different entity blocks). Every scoring model.
 * Also the non-finite-score rules (embedding-core's QueryCounts) on every path, and a failed task's
 * message.
 */
class DistributedRankingTest {
  @TempDir static Path tmp;
  static Path dir;
  static TripleArrays test;
  static TripleArrays known;

  @BeforeAll
  static void umls() throws Exception {
    dir =
        TrainFixtures.umls(
            tmp.resolve("umls"), 2); // the 2-shard template other tests of the JVM share
    test = TrainFixtures.triples(dir, "test");
    known =
        TripleArrays.concat(
            TrainFixtures.triples(dir, "train"), TrainFixtures.triples(dir, "valid"), test);
  }

  /** Synthetic parameters of one model: 40 distinct random rows repeated over the 135 entities. */
  record Case(
      String model,
      int relationDim,
      float[] entities,
      float[] relations,
      JavaPairRDD<Integer, float[]> rows) {}

  @Test
  void blockwiseEqualsBroadcastEqualsTheEvaluatorWithTies() throws Exception {
    SparkSession spark = SharedSpark.get();
    OutputDirectory output =
        OutputDirectory.at(dir.toString(), spark.sparkContext().hadoopConfiguration());
    Dataset<Row> testSet = spark.read().parquet(dir.resolve("triples/test").toString());
    int numEntities = 135;
    int numRelations = 46;
    int dim = 16;
    long rowBytes = dim * 4L;
    List<Case> cases = new ArrayList<>();
    for (String modelName :
        List.of(
            "distmult",
            "complex",
            "rotate",
            "transe_l1",
            "transe_l2",
            "complex_reciprocal",
            "rotate_reciprocal")) {
      ScoringModel model = ScoringModels.byName(modelName);
      int relationDim = model.relationWidth(dim);
      Random random = new Random(modelName.hashCode());
      float[] distinct = new float[40 * dim];
      for (int i = 0; i < distinct.length; i++) distinct[i] = random.nextFloat() * 2 - 1;
      float[] entities = new float[numEntities * dim];
      List<Tuple2<Integer, float[]>> rows = new ArrayList<>();
      for (int e = 0; e < numEntities; e++) {
        System.arraycopy(distinct, (e % 40) * dim, entities, e * dim, dim);
        rows.add(new Tuple2<>(e, Arrays.copyOfRange(distinct, (e % 40) * dim, (e % 40 + 1) * dim)));
      }
      float[] relations = new float[numRelations * relationDim];
      model.initRelations(relations, dim, random, 0.5f);
      cases.add(
          new Case(
              modelName,
              relationDim,
              entities,
              relations,
              JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelizePairs(rows, 3)));
    }

    Map<String, EvaluationResult> broadcast = new HashMap<>();
    try (DistributedRanking ranking =
        DistributedRanking.prepare(
            spark,
            testSet,
            RankingConfig.knownTriples(spark, output),
            numEntities,
            numRelations,
            new DistributedRanking.Settings(numEntities * rowBytes, 3, 64),
            "test")) {
      for (Case c : cases) {
        DistributedRanking.Outcome outcome =
            ranking.rank(c.model(), dim, c.relationDim(), c.relations(), c.rows(), true);
        assertEquals(DistributedRanking.BROADCAST, outcome.path());
        assertEquals(1, outcome.blocks());
        ModelParameters params =
            new ModelParameters(
                c.model(),
                numEntities,
                numRelations,
                dim,
                c.relationDim(),
                c.entities(),
                c.relations(),
                new float[numEntities],
                new float[numRelations],
                List.of());
        EvaluationResult reference =
            LinkPredictionEvaluator.evaluate(params, test, known, 0, 256, 1, Device.cpu());
        assertSameRanks(reference, outcome.result(), c.model() + " broadcast");
        broadcast.put(c.model(), outcome.result());
        System.out.println(
            "RANKING "
                + c.model()
                + " with ties: "
                + outcome.result()
                + "; evaluator "
                + reference);
      }
    }
    // 1 block (broadcast not allowed), 7 blocks of 20 (the last one 15), other group counts; 4
    // blocks
    // scored 7 queries at a time (short batches: padded, or the BLAS kernel would break exact ties)
    int[][] shapes = {{numEntities, 2, 1, 50}, {20, 4, 7, 50}, {34, 3, 4, 7}};
    for (int[] shape : shapes) {
      try (DistributedRanking ranking =
          DistributedRanking.prepare(
              spark,
              testSet,
              RankingConfig.knownTriples(spark, output),
              numEntities,
              numRelations,
              new DistributedRanking.Settings(shape[0] * rowBytes, shape[1], shape[3]),
              "test")) {
        for (Case c : cases) {
          DistributedRanking.Outcome blockwise =
              ranking.rank(c.model(), dim, c.relationDim(), c.relations(), c.rows(), shape[2] > 1);
          String what =
              c.model()
                  + " blockwise, "
                  + shape[2]
                  + " blocks, "
                  + shape[1]
                  + " groups, batch "
                  + shape[3];
          assertEquals(DistributedRanking.BLOCKWISE, blockwise.path(), what);
          assertEquals(shape[2], blockwise.blocks(), what);
          assertEquals(shape[0], blockwise.entitiesPerBlock(), what);
          assertEquals(test.size(), blockwise.triples(), what);
          assertEquals(
              broadcast.get(c.model()),
              blockwise.result(),
              what + ": the broadcast path's metrics, bit for bit");
        }
      }
    }
  }

  /**
   * A NaN entity row (DistMult, UMLS triples): both paths refuse with the same one-line message,
   * naming the first invalid query; the number of invalid queries is the brute-force one (queries
   * keyed by the NaN entity, and those that compare it as a candidate), as the evaluator's.
   */
  @Test
  void aNanEntityRowFailsBothPathsNamingTheQuery() throws Exception {
    SparkSession spark = SharedSpark.get();
    OutputDirectory output =
        OutputDirectory.at(dir.toString(), spark.sparkContext().hadoopConfiguration());
    Dataset<Row> testSet = spark.read().parquet(dir.resolve("triples/test").toString());
    int numEntities = 135;
    int numRelations = 46;
    int dim = 8;
    int nan = 7;
    Random random = new Random(3);
    float[] entities = new float[numEntities * dim];
    for (int i = 0; i < entities.length; i++) entities[i] = random.nextFloat() * 2 - 1;
    entities[nan * dim + 3] = Float.NaN;
    float[] relations = new float[numRelations * dim];
    for (int i = 0; i < relations.length; i++) relations[i] = random.nextFloat() * 2 - 1;
    JavaPairRDD<Integer, float[]> rows = rows(spark, entities, numEntities, dim);

    Set<String> truth = new HashSet<>();
    for (int i = 0; i < known.size(); i++)
      truth.add(known.heads()[i] + " " + known.relations()[i] + " " + known.tails()[i]);
    Set<String> invalidQueries = new HashSet<>();
    for (int i = 0; i < test.size(); i++) {
      int h = test.heads()[i], r = test.relations()[i], t = test.tails()[i];
      if (h == nan || (t != nan && !truth.contains(h + " " + r + " " + nan)))
        invalidQueries.add("tail " + h + " " + r + " " + t);
      if (t == nan || (h != nan && !truth.contains(nan + " " + r + " " + t)))
        invalidQueries.add("head " + h + " " + r + " " + t);
    }
    long invalid = 0;
    for (int i = 0; i < test.size(); i++) {
      int h = test.heads()[i], r = test.relations()[i], t = test.tails()[i];
      invalid +=
          (invalidQueries.contains("tail " + h + " " + r + " " + t) ? 1 : 0)
              + (invalidQueries.contains("head " + h + " " + r + " " + t) ? 1 : 0);
    }
    assertTrue(
        invalid > 0 && invalid < 2L * test.size(), "some queries valid, some not: " + invalid);
    ModelParameters params =
        new ModelParameters(
            "distmult",
            numEntities,
            numRelations,
            dim,
            dim,
            entities,
            relations,
            new float[numEntities],
            new float[numRelations],
            List.of());
    NonFiniteScoreException reference =
        assertThrows(
            NonFiniteScoreException.class,
            () -> LinkPredictionEvaluator.evaluate(params, test, known, 0, 256, 1, Device.cpu()));
    assertEquals(invalid, reference.invalidQueries(), "the evaluator counts the same queries");

    List<String> messages = new ArrayList<>();
    // broadcast; blockwise in 1 block and in 7 blocks of 20 rows
    long[][] shapes = {{numEntities, 1}, {numEntities, 0}, {20, 1}};
    for (long[] shape : shapes) {
      try (DistributedRanking ranking =
          DistributedRanking.prepare(
              spark,
              testSet,
              RankingConfig.knownTriples(spark, output),
              numEntities,
              numRelations,
              new DistributedRanking.Settings(shape[0] * dim * 4L, 3, 50),
              "test")) {
        PipelineException e =
            assertThrows(
                PipelineException.class,
                () -> ranking.rank("distmult", dim, dim, relations, rows, shape[1] == 1));
        NonFiniteScoreException cause =
            assertInstanceOf(NonFiniteScoreException.class, e.getCause());
        assertEquals(invalid, cause.invalidQueries(), e.getMessage());
        assertEquals(2L * test.size(), cause.queries());
        NonFiniteScoreException.Query q = cause.first();
        String key =
            (q.tailDirection() ? "tail " : "head ")
                + q.head()
                + " "
                + q.relation()
                + " "
                + q.tail();
        assertTrue(invalidQueries.contains(key), "the named query is invalid: " + key);
        boolean keyedByNan = q.tailDirection() ? q.head() == nan : q.tail() == nan;
        if (!keyedByNan) {
          assertEquals(nan, q.candidate(), e.getMessage());
        }
        assertTrue(Float.isNaN(q.score()));
        assertFalse(e.getMessage().contains("\n"), "one line");
        assertTrue(
            e.getMessage()
                .startsWith(
                    String.format(
                            Locale.ROOT,
                            "test: non-finite scores: %,d of %,d",
                            invalid,
                            2 * test.size())
                        + " queries have a candidate scoring NaN or infinite, first the "
                        + (q.tailDirection() ? "tail" : "head")
                        + " query ("),
            e.getMessage());
        messages.add(e.getMessage());
        PipelineException named =
            DistributedRanking.withNames(
                e,
                "evaluate",
                spark.read().parquet(dir.resolve("entities").toString()),
                spark.read().parquet(dir.resolve("relations").toString()));
        String headName =
            spark
                .read()
                .parquet(dir.resolve("entities").toString())
                .filter("id = " + q.head())
                .first()
                .getString(1);
        assertTrue(
            named.getMessage().startsWith("evaluate: non-finite scores: "), named.getMessage());
        assertTrue(
            named.getMessage().contains(q.head() + " '" + headName + "'"), named.getMessage());
      }
    }
    assertEquals(messages.get(0), messages.get(1), "same query named on every path");
    assertEquals(messages.get(0), messages.get(2), "same query named on every path");
  }

  /**
   * DistMult, relation (1, -1): entities 0 = (a, a) and 1 = (a, -a), a = 1.7e19, score +Inf with
   * each other (float overflow) but finitely with every other entity. Both queries of (0, r0, 1)
   * have a +Inf true answer and finite candidates: ranked last (rank 5 of 5 entities), counted, on
   * every path.
   */
  @Test
  void anInfiniteTrueScoreRanksLastOnEveryPath() {
    SparkSession spark = SharedSpark.get();
    float a = 1.7e19f;
    float[] entities = {a, a, a, -a, 1, 0, 0, 1, 1, 1};
    float[] relations = {1, -1};
    Dataset<Row> triples =
        spark.createDataFrame(
            List.of(RowFactory.create(0, 0, 1)),
            new StructType().add("head", "int").add("relation", "int").add("tail", "int"));
    JavaPairRDD<Integer, float[]> rows = rows(spark, entities, 5, 2);
    TripleArrays one = new TripleArrays(new int[] {0}, new int[] {0}, new int[] {1});
    EvaluationResult reference =
        LinkPredictionEvaluator.evaluate(
            new ModelParameters(
                "distmult", 5, 1, 2, 2, entities, relations, new float[5], new float[1], List.of()),
            one,
            one,
            0,
            4,
            1,
            Device.cpu());
    assertEquals(2, reference.nonFiniteTrueScores());
    // broadcast; blockwise in 1 block and in 3 blocks of 2 rows
    long[][] shapes = {{5, 1}, {5, 0}, {2, 1}};
    for (long[] shape : shapes) {
      try (DistributedRanking ranking =
          DistributedRanking.prepare(
              spark,
              triples,
              triples,
              5,
              1,
              new DistributedRanking.Settings(shape[0] * 2 * 4L, 2, 50),
              "test")) {
        DistributedRanking.Outcome outcome =
            ranking.rank("distmult", 2, 2, relations, rows, shape[1] == 1);
        EvaluationResult r = outcome.result();
        String what = outcome.path() + " " + outcome.blocks() + " blocks";
        assertEquals(2, r.nonFiniteTrueScores(), what);
        assertEquals(5.0, r.realistic().meanRank(), 0.0, what);
        assertEquals(5.0, r.optimistic().meanRank(), 0.0, what);
        assertEquals(0.0, r.realistic().hitsAt3(), what);
        assertEquals(reference, r, what);
        assertEquals(2.0, r.asMap().get("filtered_nonfinite_true_scores"), what);
      }
    }
  }

  /** A task's own failure (a row of the wrong width) reaches the caller as one line naming it. */
  @Test
  void aFailedRankingTaskIsOneClearLine() throws Exception {
    SparkSession spark = SharedSpark.get();
    OutputDirectory output =
        OutputDirectory.at(dir.toString(), spark.sparkContext().hadoopConfiguration());
    Dataset<Row> testSet = spark.read().parquet(dir.resolve("triples/test").toString());
    List<Tuple2<Integer, float[]>> list = new ArrayList<>();
    for (int e = 0; e < 135; e++) list.add(new Tuple2<>(e, new float[e == 9 ? 3 : 4]));
    JavaPairRDD<Integer, float[]> rows =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelizePairs(list, 3);
    for (boolean broadcast : new boolean[] {true, false}) {
      try (DistributedRanking ranking =
          DistributedRanking.prepare(
              spark,
              testSet,
              RankingConfig.knownTriples(spark, output),
              135,
              46,
              new DistributedRanking.Settings(1 << 20, 2, 50),
              "test")) {
        PipelineException e =
            assertThrows(
                PipelineException.class,
                () -> ranking.rank("distmult", 4, 4, new float[46 * 4], rows, broadcast));
        assertEquals(
            broadcast
                ? "test: entity 9 has an embedding of 3 floats, expected 4 (model distmult)"
                : "test: a ranking task failed: entity 9 has an embedding of 3 floats, expected 4 (model distmult)",
            e.getMessage());
      }
    }
  }

  /**
   * Ranking tasks given a GPU the loaded libtorch cannot use (this machine's CPU build) rank
   * nothing and run once each; the ranking stops with the check's one line, on both paths. The same
   * ranking with the tasks' device found (the CPU) gives the default lookup's metrics.
   */
  @Test
  void rankingTasksThatCannotUseTheirGpuStopTheRankingWithOneLine() throws Exception {
    SparkSession spark = SharedSpark.get();
    OutputDirectory output =
        OutputDirectory.at(dir.toString(), spark.sparkContext().hadoopConfiguration());
    Dataset<Row> testSet = spark.read().parquet(dir.resolve("triples/test").toString());
    int dim = 4;
    Random random = new Random(11);
    float[] entities = new float[135 * dim];
    for (int i = 0; i < entities.length; i++) entities[i] = random.nextFloat() * 2 - 1;
    float[] relations = new float[46 * dim];
    for (int i = 0; i < relations.length; i++) relations[i] = random.nextFloat() * 2 - 1;
    JavaPairRDD<Integer, float[]> rows = rows(spark, entities, 135, dim);
    String version = Engine.getEngine("PyTorch").getVersion();
    // broadcast: one task per query group (2); blockwise: one per block (3 of 45 rows)
    long[][] shapes = {{135, 1, 2}, {45, 0, 3}};
    for (long[] shape : shapes) {
      boolean broadcast = shape[1] == 1;
      try (DistributedRanking ranking =
          DistributedRanking.prepare(
              spark,
              testSet,
              RankingConfig.knownTriples(spark, output),
              135,
              46,
              new DistributedRanking.Settings(shape[0] * dim * 4L, 2, 50),
              "test")) {
        LongAccumulator lookups = spark.sparkContext().longAccumulator("device lookups");
        TaskDevices unusable =
            TaskDevices.register(
                spark.sparkContext(),
                "ranking",
                () -> {
                  lookups.add(1);
                  return Devices.checkedGpu("0", false, 0, version);
                });
        PipelineException e =
            assertThrows(
                PipelineException.class,
                () -> ranking.rank("distmult", dim, dim, relations, rows, broadcast, unusable));
        String path = broadcast ? "broadcast" : "blockwise";
        assertEquals(shape[2], lookups.value(), path + ": each ranking task ran once");
        assertTrue(
            e.getMessage()
                .startsWith("test: this task was given GPU 0, but the libtorch " + version),
            e.getMessage());
        assertTrue(
            e.getMessage().endsWith("or run without GPUs (no spark.executor.resource.gpu.amount)"),
            e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line");

        DistributedRanking.Outcome found =
            ranking.rank(
                "distmult",
                dim,
                dim,
                relations,
                rows,
                broadcast,
                TaskDevices.register(spark.sparkContext(), "ranking", Device::cpu));
        assertEquals(path, found.path());
        assertEquals(Map.of("cpu()", shape[2]), found.taskDevices(), path);
        assertEquals(Map.of("cpu()", shape[2]), found.describe().get("ranking_devices"), path);
        assertEquals(
            ranking.rank("distmult", dim, dim, relations, rows, broadcast).result(),
            found.result(),
            path);
      }
    }
  }

  @Test
  void blocksFitTheBudgetAndAreAtLeastTheGroupsWhenLargeEnough() {
    assertEquals(39, DistributedRanking.blockRows(135, 39, 2), "the budget decides");
    assertEquals(135, DistributedRanking.blockRows(135, 1000, 8), "too small to split");
    assertEquals(3636, DistributedRanking.blockRows(14_541, 14_541, 4), "4 groups: 4 blocks");
    assertEquals(
        1039,
        DistributedRanking.blockRows(14_541, 14_541, 100),
        "14 blocks: none below 1,024 rows");
    assertEquals(100, DistributedRanking.blockRows(14_541, 100, 4), "the budget decides");
  }

  private static JavaPairRDD<Integer, float[]> rows(
      SparkSession spark, float[] entities, int n, int dim) {
    List<Tuple2<Integer, float[]>> list = new ArrayList<>();
    for (int e = 0; e < n; e++)
      list.add(new Tuple2<>(e, Arrays.copyOfRange(entities, e * dim, (e + 1) * dim)));
    return JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelizePairs(list, 3);
  }

  /**
   * Same ranks as the evaluator: counts, rank sums and hits exactly (sums of half-integers are
   * exact), reciprocal-rank sums to the rounding of the evaluator's summation order.
   */
  static void assertSameRanks(EvaluationResult expected, EvaluationResult actual, String what) {
    assertSame(expected.realistic(), actual.realistic(), what + " realistic");
    assertSame(expected.optimistic(), actual.optimistic(), what + " optimistic");
    assertSame(expected.pessimistic(), actual.pessimistic(), what + " pessimistic");
    assertSame(expected.tailQueries(), actual.tailQueries(), what + " tail queries");
    assertSame(expected.headQueries(), actual.headQueries(), what + " head queries");
    assertEquals(expected.perRelation().keySet(), actual.perRelation().keySet(), what);
    for (Map.Entry<Integer, RankMetrics> e : expected.perRelation().entrySet()) {
      assertSame(
          e.getValue(), actual.perRelation().get(e.getKey()), what + " relation " + e.getKey());
    }
    assertTrue(
        expected.optimistic().mrr() > expected.pessimistic().mrr(), what + ": the ties matter");
  }

  static void assertSame(RankMetrics expected, RankMetrics actual, String what) {
    assertEquals(expected.queries(), actual.queries(), what);
    assertEquals(expected.sumRank(), actual.sumRank(), 0.0, what + " sum of ranks");
    assertEquals(expected.hits1(), actual.hits1(), what);
    assertEquals(expected.hits3(), actual.hits3(), what);
    assertEquals(expected.hits10(), actual.hits10(), what);
    assertEquals(
        expected.sumReciprocalRank(), actual.sumReciprocalRank(), 1e-12 * expected.queries(), what);
  }
}
