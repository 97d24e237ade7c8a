package org.sparkkge.bench.evaluate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.sparkkge.core.eval.EvaluationResult;
import org.sparkkge.core.model.ScoringModel;
import org.sparkkge.core.model.ScoringModels;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.ranking.DistributedRanking;
import org.sparkkge.jobs.ranking.RankingConfig;
import scala.Tuple2;

/**
 * Filtered ranking of an ingested dataset's test triples with seeded random embeddings (no training
 * needed): the broadcast path against the blockwise path with 1 block (broadcast not allowed, what
 * training's validation does), and with B blocks for each B given. Prints seconds per path, the ratio
 * to the broadcast path in the same JVM, the bytes all tasks wrote to the shuffle, and whether the metrics
 * equal the broadcast path's bit for bit.
 *
 * <p>Args: DIR (an ingested output directory) MODEL DIM GROUPS B...
 */
public final class RankingBench {
  public static void main(String[] args) throws Exception {
    String dir = args[0];
    String modelName = args[1];
    int dim = Integer.parseInt(args[2]);
    int groups = Integer.parseInt(args[3]);
    SparkSession spark = SparkSession.builder().master("local[2]").appName("ranking-bench")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
    OutputDirectory output = OutputDirectory.at(dir, spark.sparkContext().hadoopConfiguration());
    // shuffle bytes written by every task: what a cluster would move over the network
    AtomicLong shuffled = new AtomicLong();
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskMetrics() != null) {
          shuffled.addAndGet(end.taskMetrics().shuffleWriteMetrics().bytesWritten());
        }
      }
    });
    int numEntities = (int) spark.read().parquet(dir + "/entities").count();
    int numRelations = (int) spark.read().parquet(dir + "/relations").count();
    ScoringModel model = ScoringModels.byName(modelName);
    int relationDim = model.relationWidth(dim);
    float[] relations = new float[numRelations * relationDim];
    model.initRelations(relations, dim, new Random(7), 0.5f);
    int d = dim;
    JavaPairRDD<Integer, float[]> rows = spark.range(numEntities).javaRDD().mapToPair(id -> {
      Random random = new Random(id * 31 + 7);
      float[] row = new float[d];
      for (int i = 0; i < d; i++) row[i] = random.nextFloat() * 2 - 1;
      return new Tuple2<>((int) (long) id, row);
    }).persist(StorageLevel.MEMORY_ONLY());
    rows.count();
    Dataset<Row> test = spark.read().parquet(dir + "/triples/test");
    long matrix = (long) numEntities * dim * 4;
    System.out.printf(Locale.ROOT, "dataset %s: %,d entities, %,d relations, %,d test triples; %s dim %d, matrix %,d bytes, %d query groups%n",
        dir, numEntities, numRelations, test.count(), modelName, dim, matrix, groups);

    List<long[]> plans = new ArrayList<>();
    plans.add(new long[] {matrix, 1}); // broadcast
    plans.add(new long[] {matrix, 0}); // blockwise, 1 block
    for (int i = 4; i < args.length; i++) {
      int blocks = Integer.parseInt(args[i]);
      long perBlock = (numEntities + blocks - 1) / blocks;
      plans.add(new long[] {perBlock * dim * 4, 1});
    }
    EvaluationResult baseline = null;
    double baselineSeconds = 0;
    // one untimed warm-up (JIT, DJL native library load)
    try (DistributedRanking ranking = DistributedRanking.prepare(spark, test.limit(200),
        RankingConfig.knownTriples(spark, output), numEntities, numRelations,
        new DistributedRanking.Settings(matrix, groups, 256), "bench")) {
      ranking.rank(modelName, dim, relationDim, relations, rows, true);
    }
    for (long[] plan : plans) {
      spark.sparkContext().listenerBus().waitUntilEmpty();
      long shuffledBefore = shuffled.get();
      long started = System.nanoTime();
      DistributedRanking.Outcome outcome;
      try (DistributedRanking ranking = DistributedRanking.prepare(spark, test, RankingConfig.knownTriples(spark, output),
          numEntities, numRelations, new DistributedRanking.Settings(plan[0], groups, 256), "bench")) {
        outcome = ranking.rank(modelName, dim, relationDim, relations, rows, plan[1] == 1);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      spark.sparkContext().listenerBus().waitUntilEmpty();
      long bytes = shuffled.get() - shuffledBefore;
      if (baseline == null) {
        baseline = outcome.result();
        baselineSeconds = seconds;
      }
      System.out.printf(Locale.ROOT, "%-9s B=%-3d (%,7d entities/block, %3d groups): %7.1f s, x%.2f of broadcast, shuffle written %,.1f MB, MRR %.6f, same metrics as broadcast: %s%n",
          outcome.path(), outcome.blocks(), outcome.entitiesPerBlock(), outcome.queryGroups(), seconds,
          seconds / baselineSeconds, bytes / 1e6, outcome.result().realistic().mrr(), baseline.equals(outcome.result()));
    }
    spark.stop();
  }
}
