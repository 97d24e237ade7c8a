package org.sparkkge.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.eval.LinkPredictionEvaluator;
import org.sparkkge.core.eval.RankMetrics;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.train.TrainFixtures;
import scala.Tuple2;

/**
 * The broadcast and the blockwise paths of {@link DistributedRanking} against embedding-core's
 * single-process {@link LinkPredictionEvaluator}, on UMLS's triples with synthetic embeddings full of
 * exact ties: only 40 distinct entity rows for 135 entities (duplicated rows score the same, so the
 * answer ties with its copies and copies sit in different entity blocks). Every scoring model.
 */
class DistributedRankingTest {
  @TempDir static Path tmp;
  static Path dir;
  static TripleArrays test;
  static TripleArrays known;

  @BeforeAll
  static void umls() throws Exception {
    dir = TrainFixtures.umls(tmp.resolve("umls"), 2); // the 2-shard template other tests of the JVM share
    test = TrainFixtures.triples(dir, "test");
    known = TripleArrays.concat(TrainFixtures.triples(dir, "train"), TrainFixtures.triples(dir, "valid"), test);
  }

  /** Synthetic parameters of one model: 40 distinct random rows repeated over the 135 entities. */
  record Case(String model, int relationDim, float[] entities, float[] relations, JavaPairRDD<Integer, float[]> rows) {}

  @Test
  void blockwiseEqualsBroadcastEqualsTheEvaluatorWithTies() throws Exception {
    SparkSession spark = SharedSpark.get();
    OutputDirectory output = OutputDirectory.at(dir.toString(), spark.sparkContext().hadoopConfiguration());
    Dataset<Row> testSet = spark.read().parquet(dir.resolve("triples/test").toString());
    int numEntities = 135;
    int numRelations = 46;
    int dim = 16;
    long rowBytes = dim * 4L;
    List<Case> cases = new ArrayList<>();
    for (String modelName : List.of("distmult", "complex", "rotate", "transe_l1", "transe_l2", "complex_reciprocal",
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
        rows.add(new Tuple2<>(e, java.util.Arrays.copyOfRange(distinct, (e % 40) * dim, (e % 40 + 1) * dim)));
      }
      float[] relations = new float[numRelations * relationDim];
      model.initRelations(relations, dim, random, 0.5f);
      cases.add(new Case(modelName, relationDim, entities, relations,
          JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelizePairs(rows, 3)));
    }

    Map<String, EvaluationResult> broadcast = new java.util.HashMap<>();
    try (DistributedRanking ranking = DistributedRanking.prepare(spark, testSet, EvaluateStage.knownTriples(spark, output),
        numEntities, numRelations, new DistributedRanking.Settings(numEntities * rowBytes, 3, 64), "test")) {
      for (Case c : cases) {
        DistributedRanking.Outcome outcome = ranking.rank(c.model(), dim, c.relationDim(), c.relations(), c.rows(), true);
        assertEquals(DistributedRanking.BROADCAST, outcome.path());
        assertEquals(1, outcome.blocks());
        ModelParameters params = new ModelParameters(c.model(), numEntities, numRelations, dim, c.relationDim(),
            c.entities(), c.relations(), new float[numEntities], new float[numRelations], List.of());
        EvaluationResult reference = LinkPredictionEvaluator.evaluate(params, test, known, 0, 256, 1, Device.cpu());
        assertSameRanks(reference, outcome.result(), c.model() + " broadcast");
        broadcast.put(c.model(), outcome.result());
        System.out.println("RANKING " + c.model() + " with ties: " + outcome.result() + "; evaluator " + reference);
      }
    }
    // 1 block (broadcast not allowed) and 7 blocks of 20 (the last one 15), other group counts
    int[][] shapes = {{numEntities, 2, 1}, {20, 4, 7}};
    for (int[] shape : shapes) {
      try (DistributedRanking ranking = DistributedRanking.prepare(spark, testSet,
          EvaluateStage.knownTriples(spark, output), numEntities, numRelations,
          new DistributedRanking.Settings(shape[0] * rowBytes, shape[1], 50), "test")) {
        for (Case c : cases) {
          DistributedRanking.Outcome blockwise = ranking.rank(c.model(), dim, c.relationDim(), c.relations(), c.rows(),
              shape[2] > 1);
          String what = c.model() + " blockwise, " + shape[2] + " blocks, " + shape[1] + " groups";
          assertEquals(DistributedRanking.BLOCKWISE, blockwise.path(), what);
          assertEquals(shape[2], blockwise.blocks(), what);
          assertEquals(shape[0], blockwise.entitiesPerBlock(), what);
          assertEquals(test.size(), blockwise.triples(), what);
          assertEquals(broadcast.get(c.model()), blockwise.result(), what + ": the broadcast path's metrics, bit for bit");
        }
      }
    }
  }

  /**
   * Same ranks as the evaluator: counts, rank sums and hits exactly (sums of half-integers are exact),
   * reciprocal-rank sums to the rounding of the evaluator's summation order.
   */
  static void assertSameRanks(EvaluationResult expected, EvaluationResult actual, String what) {
    assertSame(expected.realistic(), actual.realistic(), what + " realistic");
    assertSame(expected.optimistic(), actual.optimistic(), what + " optimistic");
    assertSame(expected.pessimistic(), actual.pessimistic(), what + " pessimistic");
    assertSame(expected.tailQueries(), actual.tailQueries(), what + " tail queries");
    assertSame(expected.headQueries(), actual.headQueries(), what + " head queries");
    assertEquals(expected.perRelation().keySet(), actual.perRelation().keySet(), what);
    for (Map.Entry<Integer, RankMetrics> e : expected.perRelation().entrySet()) {
      assertSame(e.getValue(), actual.perRelation().get(e.getKey()), what + " relation " + e.getKey());
    }
    assertTrue(expected.optimistic().mrr() > expected.pessimistic().mrr(), what + ": the ties matter");
  }

  static void assertSame(RankMetrics expected, RankMetrics actual, String what) {
    assertEquals(expected.queries(), actual.queries(), what);
    assertEquals(expected.sumRank(), actual.sumRank(), 0.0, what + " sum of ranks");
    assertEquals(expected.hits1(), actual.hits1(), what);
    assertEquals(expected.hits3(), actual.hits3(), what);
    assertEquals(expected.hits10(), actual.hits10(), what);
    assertEquals(expected.sumReciprocalRank(), actual.sumReciprocalRank(), 1e-12 * expected.queries(), what);
  }
}
