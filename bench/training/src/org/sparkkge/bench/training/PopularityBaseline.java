package org.sparkkge.bench.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The filtered MRR of ranking every entity by how often it is the answer in the training triples
 * (tail counts for (h, r, ?), head counts for (?, r, t)), ignoring the query: the score a model must
 * beat to show it learned more than popularity. Same protocol as the evaluate stage: both directions,
 * every other known true triple (train + valid + test) filtered, ties at the mean rank. Runs on the
 * executors over an ingested output directory; only a histogram of counts reaches the driver.
 *
 * <p>Usage: PopularityBaseline OUTPUT_DIR [SPLIT=test]
 */
public final class PopularityBaseline {
    private PopularityBaseline() {}

    public static void main(String[] args) {
        String dir = args[0];
        String split = args.length > 1 ? args[1] : "test";
        SparkSession spark = SparkSession.builder().master("local[2]").appName("popularity-baseline")
                .config("spark.ui.enabled", "false").getOrCreate();
        long entities = spark.read().parquet(dir + "/entities").count();
        Dataset<Row> train = spark.read().parquet(dir + "/triples/train");
        Dataset<Row> known = train.union(spark.read().parquet(dir + "/triples/valid"))
                .union(spark.read().parquet(dir + "/triples/test")).distinct();
        Dataset<Row> queries = spark.read().parquet(dir + "/triples/" + split);
        double[] tails = direction(spark, train, known, queries, "head", "tail", entities);
        double[] heads = direction(spark, train, known, queries, "tail", "head", entities);
        double mrr = (tails[0] + heads[0]) / (tails[1] + heads[1]);
        System.out.printf(java.util.Locale.ROOT, "popularity baseline: %s filtered MRR %.4f over %d queries%n", split,
                mrr, (long) (tails[1] + heads[1]));
        spark.stop();
    }

    /** {sum of reciprocal ranks, queries} for the queries that ask for {@code answer} given {@code given}. */
    private static double[] direction(SparkSession spark, Dataset<Row> train, Dataset<Row> known, Dataset<Row> queries,
            String given, String answer, long entities) {
        Dataset<Row> counts = train.groupBy(col(answer).as("e")).agg(count(lit(1)).as("c")).cache();
        // how many entities have each count; entities never seen as an answer have count 0
        Dataset<Row> histogram = counts.groupBy("c").agg(count(lit(1)).as("n"));
        long seen = counts.count();
        Dataset<Row> withZero = histogram.union(spark.createDataFrame(
                java.util.List.of(org.apache.spark.sql.RowFactory.create(0L, entities - seen)), histogram.schema()));
        java.util.List<Row> h = withZero.orderBy("c").collectAsList();
        java.util.TreeMap<Long, Long> atCount = new java.util.TreeMap<>();
        for (Row r : h) atCount.merge(r.getLong(0), r.getLong(1), Long::sum);
        // greater(c) = entities with a higher count; equal(c) = entities with count c
        java.util.List<Row> table = new java.util.ArrayList<>();
        long above = 0;
        for (Long c : atCount.descendingKeySet()) {
            table.add(org.apache.spark.sql.RowFactory.create(c, above, atCount.get(c)));
            above += atCount.get(c);
        }
        Dataset<Row> ranksByCount = spark.createDataFrame(table, new org.apache.spark.sql.types.StructType()
                .add("c", "long").add("greater", "long").add("equal", "long"));
        Dataset<Row> q = queries.select(col(given).as("g"), col("relation").as("r"), col(answer).as("a"))
                .withColumn("qid", org.apache.spark.sql.functions.monotonically_increasing_id())
                .join(counts.withColumnRenamed("e", "a"), new String[] {"a"}, "left")
                .na().fill(0L, new String[] {"c"});
        // other known answers of the same query with a higher or equal count are filtered out
        Dataset<Row> others = q.join(known.select(col(given).as("g"), col("relation").as("r"), col(answer).as("x")),
                        new String[] {"g", "r"})
                .where(col("x").notEqual(col("a")))
                .join(counts.withColumnRenamed("e", "x").withColumnRenamed("c", "cx"), new String[] {"x"}, "left")
                .na().fill(0L, new String[] {"cx"})
                .groupBy("qid")
                .agg(sum(when(col("cx").gt(col("c")), 1).otherwise(0)).as("fg"),
                        sum(when(col("cx").equalTo(col("c")), 1).otherwise(0)).as("fe"));
        Dataset<Row> ranked = q.join(ranksByCount, new String[] {"c"})
                .join(others, new String[] {"qid"}, "left").na().fill(0L, new String[] {"fg", "fe"})
                .withColumn("rank", col("greater").minus(col("fg")).plus(lit(1))
                        .plus(col("equal").minus(col("fe")).minus(lit(1)).divide(2.0)));
        Row total = ranked.agg(sum(lit(1.0).divide(col("rank"))), count(lit(1))).first();
        counts.unpersist();
        return new double[] {total.getDouble(0), total.getLong(1)};
    }
}
