package org.sparkkge.bench.partitioner;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.xxhash64;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Seedable synthetic KG with power-law degrees and many relations, generated on the executors (row i
 * depends only on seed and i, not on partitioning). Entity x in [0, N) is drawn as floor(N * u^a):
 * its expected degree falls as x^-(1-1/a), a Zipf law, so the degree distribution has a power-law
 * tail (exponent about 1 + a/(a-1)). Heads use a = 2.5, tails a = 1.8, relations floor(R * u^2).
 *
 * <p>Usage: SyntheticKg TRIPLES OUT_DIR [SEED] [ENTITIES_PER_TRIPLE=0.125] [RELATIONS=500]. Writes
 * OUT_DIR/triples (Parquet head, relation, tail INT) and OUT_DIR/meta.txt (entities, relations).
 */
public final class SyntheticKg {
    private SyntheticKg() {}

    static Column uniform(long seed, String salt) {
        // 53 random bits of a seeded hash of the row index -> (0, 1].
        Column bits = xxhash64(lit(seed), lit(salt), col("id")).bitwiseAND(lit((1L << 53) - 1));
        return bits.plus(1).cast("double").divide(lit((double) (1L << 53)));
    }

    public static Dataset<Row> generate(SparkSession spark, long triples, long entities, int relations, long seed) {
        Column head = floor(pow(uniform(seed, "head"), 2.5).multiply(entities)).cast("int");
        Column tail = floor(pow(uniform(seed, "tail"), 1.8).multiply(entities)).cast("int");
        Column relation = floor(pow(uniform(seed, "relation"), 2.0).multiply(relations)).cast("int");
        // Clamp u = 1 exactly (x = N) back into range.
        return spark.range(triples).select(
                org.apache.spark.sql.functions.least(head, lit((int) entities - 1)).as("head"),
                org.apache.spark.sql.functions.least(relation, lit(relations - 1)).as("relation"),
                org.apache.spark.sql.functions.least(tail, lit((int) entities - 1)).as("tail"));
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: SyntheticKg TRIPLES OUT_DIR [SEED] [ENTITIES_PER_TRIPLE] [RELATIONS]");
            System.exit(2);
        }
        long triples = Long.parseLong(args[0]);
        String out = args[1];
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        double entitiesPerTriple = args.length > 3 ? Double.parseDouble(args[3]) : 0.125;
        int relations = args.length > 4 ? Integer.parseInt(args[4]) : 500;
        long entities = Math.max(2, Math.round(triples * entitiesPerTriple));
        SparkSession spark = SparkSession.builder().master("local[2]").appName("synthetic-kg")
                .config("spark.ui.enabled", "false").getOrCreate();
        int files = (int) Math.max(1, triples / 2_000_000);
        generate(spark, triples, entities, relations, seed).repartition(files)
                .write().mode("overwrite").parquet(out + "/triples");
        java.nio.file.Files.writeString(java.nio.file.Path.of(out, "meta.txt"),
                "entities=" + entities + "\nrelations=" + relations + "\ntriples=" + triples + "\nseed=" + seed + "\n");
        System.out.println("wrote " + triples + " triples, " + entities + " entities, " + relations
                + " relations to " + out);
        spark.stop();
    }
}
