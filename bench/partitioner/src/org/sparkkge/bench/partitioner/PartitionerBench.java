package org.sparkkge.bench.partitioner;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.partitioner.Anchors;
import org.sparkkge.partitioner.EdgePartitioner;
import org.sparkkge.partitioner.KCore;
import org.sparkkge.partitioner.KCoreStats;
import org.sparkkge.partitioner.NodePiece;
import org.sparkkge.partitioner.PartitionQuality;
import org.sparkkge.partitioner.TokenizeConfig;

/**
 * Times the partitioner algorithms on one generated KG (see {@link SyntheticKg}) in this JVM:
 * k-core (core numbers written), reduce + periphery at k = 2, NodePiece tokenize (anchors, BFS,
 * relations, written), PageRank anchor choice, and the three edge-partitioning strategies (written +
 * quality). Prints one line per stage with wall seconds and the peak JVM heap during the stage, then
 * the process peak RSS. The classes on the class path decide which implementation runs; run.sh runs
 * the current one and, with BENCH_BASELINE, an earlier revision's, in separate JVMs.
 *
 * <p>Usage: PartitionerBench DATA_DIR WORK_DIR RESULTS_TSV [ANCHORS=1000] [K=20] [M=12] [SHARDS=8]
 */
public final class PartitionerBench {
    private PartitionerBench() {}

    private static final List<MemoryPoolMXBean> HEAP = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP).toList();

    private static String resultsFile;
    /** Which implementation this JVM runs (bench.label), a column of the results. */
    private static final String LABEL = System.getProperty("bench.label", "current");
    private static long triplesCount;

    static <T> T stage(String name, Supplier<T> work) {
        HEAP.forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        T result = work.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = HEAP.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
        String line = String.format("%d\t%s\t%s\t%.2f\t%d", triplesCount, LABEL, name, seconds, peak >> 20);
        System.out.printf("stage %-22s %8.2f s   heap peak %6d MiB%n", name, seconds, peak >> 20);
        try {
            Files.writeString(Path.of(resultsFile), line + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot append to " + resultsFile, e);
        }
        return result;
    }

    static String peakRss() throws java.io.IOException {
        // Peak resident set of this JVM (heap, off-heap, code) over the whole run.
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM")) {
                return line.replaceAll("\\s+", " ");
            }
        }
        return "VmHWM unavailable";
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: PartitionerBench DATA_DIR WORK_DIR RESULTS_TSV [ANCHORS] [K] [M] [SHARDS]");
            System.exit(2);
        }
        String data = args[0];
        String work = args[1];
        resultsFile = args[2];
        int anchors = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        int k = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        int m = args.length > 5 ? Integer.parseInt(args[5]) : 12;
        int shards = args.length > 6 ? Integer.parseInt(args[6]) : 8;
        Properties meta = new Properties();
        try (var reader = Files.newBufferedReader(Path.of(data, "meta.txt"))) {
            meta.load(reader);
        }
        long entities = Long.parseLong(meta.getProperty("entities"));
        int relations = Integer.parseInt(meta.getProperty("relations"));

        SparkSession spark = SparkSession.builder().master("local[2]").appName("partitioner-bench")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", System.getProperty("bench.partitions", "8"))
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                // As the CLI's sessions: Pregel checkpoints every 10 supersteps (the hand-written loops of
                // earlier revisions checkpoint every 4 rounds into the same directory when it is set).
                .config("spark.graphx.pregel.checkpointInterval", "10")
                .getOrCreate();
        Path checkpoints = Path.of(work, "checkpoints");
        Files.createDirectories(checkpoints);
        spark.sparkContext().setCheckpointDir(checkpoints.toString());
        Dataset<Row> triples = spark.read().parquet(data + "/triples").cache();
        triplesCount = triples.count();
        System.out.printf("input %s: %d triples, %d entities, %d relations; anchors %d, k %d, m %d, shards %d%n",
                data, triplesCount, entities, relations, anchors, k, m, shards);

        List<String> stages = List.of(System.getProperty("bench.stages", "kcore,tokenize,partition").split(","));
        if (stages.contains("kcore")) {
            runKCore(spark, triples, entities, work);
        }
        if (stages.contains("pagerank")) {
            // PageRank alone: the anchor choice by PageRank (the API both implementations share).
            TokenizeConfig config = TokenizeConfig.DEFAULTS.withAnchors(anchors, k, m)
                    .withStrategy(Anchors.Strategy.PAGERANK);
            Anchors.Selection chosen = stage("pagerank_anchors", () -> Anchors.select(triples, config));
            System.out.printf("  %s%n", chosen);
        }
        if (stages.contains("tokenize")) {
            TokenizeConfig config = TokenizeConfig.DEFAULTS.withAnchors(anchors, k, m);
            NodePiece.Tokenization tokenization = stage("tokenize", () -> {
                NodePiece.Tokenization t = NodePiece.tokenize(triples, entities, relations, config);
                t.tokens().write().mode("overwrite").parquet(work + "/tokens");
                return t;
            });
            System.out.printf("  %s, BFS rounds %d%n", tokenization.anchors(), tokenization.bfsRounds());
        }
        if (stages.contains("partition")) {
            runPartition(spark, triples, work, shards, stages.contains("tokenize"));
        }
        System.out.println("process " + peakRss());
        spark.stop();
    }

    static void runKCore(SparkSession spark, Dataset<Row> triples, long entities, String work) {
        Dataset<Row> cores = stage("kcore", () -> {
            KCore.coreNumbers(triples, entities).write().mode("overwrite").parquet(work + "/core_numbers");
            return spark.read().parquet(work + "/core_numbers");
        });
        KCoreStats stats = stage("kcore_stats", () -> KCore.stats(triples, cores));
        System.out.printf("  max core %d; 2-core keeps %.3f of entities, %.3f of triples%n", stats.maxCore(),
                stats.level(2).entityShare(), stats.level(2).tripleShare());
        stage("reduce_periphery_k2", () -> {
            KCore.reduce(triples, cores, 2).write().mode("overwrite").parquet(work + "/reduced");
            KCore.peripheryLayers(triples, cores, 2).write().mode("overwrite").parquet(work + "/periphery");
            return null;
        });
    }

    static void runPartition(SparkSession spark, Dataset<Row> triples, String work, int shards, boolean withTokens) {
        Dataset<Row> tokens = withTokens ? spark.read().parquet(work + "/tokens") : null;
        List<PartitionQuality> qualities = new ArrayList<>();
        for (EdgePartitioner.Strategy strategy : EdgePartitioner.Strategy.values()) {
            if (tokens == null && strategy == EdgePartitioner.Strategy.LOCALITY) {
                continue;
            }
            String name = strategy.name().toLowerCase(java.util.Locale.ROOT);
            qualities.add(stage("partition_" + name, () -> {
                EdgePartitioner.partition(triples, strategy, shards, 1, tokens)
                        .write().mode("overwrite").parquet(work + "/partition_" + name);
                return EdgePartitioner.quality(spark.read().parquet(work + "/partition_" + name), shards, name);
            }));
        }
        qualities.forEach(q -> System.out.println("  " + q));
    }
}
