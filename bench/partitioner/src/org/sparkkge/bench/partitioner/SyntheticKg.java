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
 * <p>With COMMUNITIES = C > 0 the graph has structure a model can learn: entity x belongs to community
 * x mod C, relation r leads from community c to community (c + offset(r)) mod C, and the tail is drawn
 * with the same Zipf law inside that community. Knowing (head, relation) narrows the tail to 1/C of the
 * entities; a ranking by popularity alone does not.
 *
 * <p>STRUCTURE = typed (with C > 0) gives every relation a domain and a range instead, as the relations of
 * real knowledge graphs have: relation r takes its heads from community domain(r) and its tails from
 * community range(r), each drawn with the same Zipf laws inside the community. A model learns it by
 * placing the entities of one community together; the shift structure asks a bilinear model to align
 * the phases of all C communities at once, which one epoch does not do (the model memorises instead).
 *
 * <p>Usage: SyntheticKg TRIPLES OUT_DIR [SEED] [ENTITIES_PER_TRIPLE=0.125] [RELATIONS=500] [COMMUNITIES=0]
 * [HELD_OUT=0] [STRUCTURE=shift|typed]. Writes OUT_DIR/triples (Parquet head, relation, tail INT) and OUT_DIR/meta.txt; with
 * HELD_OUT = H > 0 also OUT_DIR/train, OUT_DIR/valid and OUT_DIR/test, the latter two H triples each
 * (chosen by a seeded hash of the row), as inputs for {@code spark-kge run --train/--valid/--test}.
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

    /** Structured variant (see the class comment): tails follow (community of head + offset of relation). */
    public static Dataset<Row> communities(SparkSession spark, long triples, long entities, int relations,
            int communities, long seed) {
        long perCommunity = Math.max(1, entities / communities);
        Column head = org.apache.spark.sql.functions.least(
                floor(pow(uniform(seed, "head"), 2.5).multiply(entities)).cast("long"), lit(entities - 1));
        Column relation = zipfRelation(seed, relations);
        Column offset = org.apache.spark.sql.functions.pmod(xxhash64(lit(seed), lit("offset"), col("relation")),
                lit((long) communities));
        Column targetCommunity = org.apache.spark.sql.functions.pmod(
                org.apache.spark.sql.functions.pmod(col("head"), lit((long) communities)).plus(offset),
                lit((long) communities));
        Column rank = floor(pow(uniform(seed, "tail"), 1.8).multiply(perCommunity)).cast("long");
        Column tail = org.apache.spark.sql.functions.least(rank.multiply(communities).plus(targetCommunity),
                lit(entities - 1));
        return spark.range(triples)
                .withColumn("head", head)
                .withColumn("relation", relation)
                .withColumn("tail", tail)
                .select(col("head").cast("int"), col("relation").cast("int"), col("tail").cast("int"), col("id"));
    }

    /** floor(R * u^2) for a seeded uniform u, clamped into [0, R): relations with Zipf-like frequencies. */
    private static Column zipfRelation(long seed, int relations) {
        return org.apache.spark.sql.functions.least(
                floor(pow(uniform(seed, "relation"), 2.0).multiply(relations)).cast("long"), lit((long) relations - 1));
    }

    /** Typed variant (see the class comment): relation r leads from community domain(r) to range(r). */
    public static Dataset<Row> typed(SparkSession spark, long triples, long entities, int relations,
            int communities, long seed) {
        long perCommunity = Math.max(1, entities / communities);
        Column relation = zipfRelation(seed, relations);
        Column domain = org.apache.spark.sql.functions.pmod(xxhash64(lit(seed), lit("domain"), col("relation")),
                lit((long) communities));
        Column range = org.apache.spark.sql.functions.pmod(xxhash64(lit(seed), lit("range"), col("relation")),
                lit((long) communities));
        Column headRank = floor(pow(uniform(seed, "head"), 2.5).multiply(perCommunity)).cast("long");
        Column tailRank = floor(pow(uniform(seed, "tail"), 1.8).multiply(perCommunity)).cast("long");
        return spark.range(triples)
                .withColumn("relation", relation)
                .withColumn("head", org.apache.spark.sql.functions.least(
                        headRank.multiply(communities).plus(domain), lit(entities - 1)))
                .withColumn("tail", org.apache.spark.sql.functions.least(
                        tailRank.multiply(communities).plus(range), lit(entities - 1)))
                .select(col("head").cast("int"), col("relation").cast("int"), col("tail").cast("int"), col("id"));
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
        int communities = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        long heldOut = args.length > 6 ? Long.parseLong(args[6]) : 0;
        int files = (int) Math.max(1, triples / 2_000_000);
        String structure = args.length > 7 ? args[7] : "shift";
        if (!structure.equals("shift") && !structure.equals("typed")) {
            throw new IllegalArgumentException("STRUCTURE must be shift or typed, got " + structure);
        }
        Dataset<Row> kg = communities > 0
                ? (structure.equals("typed") ? typed(spark, triples, entities, relations, communities, seed)
                        : communities(spark, triples, entities, relations, communities, seed))
                : generate(spark, triples, entities, relations, seed).withColumn("id", lit(0L));
        kg.drop("id").repartition(files).write().mode("overwrite").parquet(out + "/triples");
        if (heldOut > 0) {
            // valid and test: the rows with the lowest hashes (a seeded sample of exactly H each)
            Dataset<Row> hashed = kg.withColumn("h", xxhash64(lit(seed), lit("split"), col("id")));
            Dataset<Row> lowest = hashed.orderBy(col("h")).limit((int) (2 * heldOut)).cache();
            Dataset<Row> valid = lowest.orderBy(col("h")).limit((int) heldOut);
            Dataset<Row> test = lowest.except(valid);
            valid.select("head", "relation", "tail").coalesce(1).write().mode("overwrite").parquet(out + "/valid");
            test.select("head", "relation", "tail").coalesce(1).write().mode("overwrite").parquet(out + "/test");
            hashed.join(lowest.select("id"), hashed.col("id").equalTo(lowest.col("id")), "left_anti")
                    .select("head", "relation", "tail").repartition(files)
                    .write().mode("overwrite").parquet(out + "/train");
        }
        java.nio.file.Files.writeString(java.nio.file.Path.of(out, "meta.txt"),
                "entities=" + entities + "\nrelations=" + relations + "\ntriples=" + triples + "\nseed=" + seed
                        + "\ncommunities=" + communities + "\nheld_out=" + heldOut + "\nstructure=" + structure + "\n");
        System.out.println("wrote " + triples + " triples, " + entities + " entities, " + relations
                + " relations to " + out);
        spark.stop();
    }
}
