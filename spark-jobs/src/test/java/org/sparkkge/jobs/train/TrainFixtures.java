package org.sparkkge.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.core.ModelParameters;
import org.sparkkge.core.TripleArrays;
import org.sparkkge.jobs.Cli;
import org.sparkkge.jobs.Files2;
import org.sparkkge.jobs.SharedSpark;
import org.sparkkge.jobs.config.ConfigLoader;
import org.sparkkge.jobs.io.OutputDirectory;
import org.sparkkge.jobs.io.RunInfo;
import org.sparkkge.partitioner.EdgePartitioner;

/**
 * Prepared output directories for the train/export/evaluate tests: UMLS ingested by the CLI, then
 * split into shards with the partitioner's random edge partitioning (written the way the partition
 * stage writes triples/partitioned, with its stage marker). Built once per JVM and copied per test.
 */
public final class TrainFixtures {
  private static final Map<Integer, Path> TEMPLATES = new ConcurrentHashMap<>();

  private TrainFixtures() {}

  /**
   * Settings that train UMLS well in a few seconds (same as embedding-core's quality test), in one
   * pass through the sub-rounds per round (train.bucket-slices = 1: a third of the default's Spark
   * jobs; StratifiedTrainingTest runs the default's three passes).
   */
  public static List<String> umlsSettings(int epochs, double roundFraction) {
    return new ArrayList<>(
        List.of(
            "--set",
            "train.model=complex",
            "--set",
            "train.dim=64",
            "--set",
            "train.batch-size=500",
            "--set",
            "train.chunk-size=50",
            "--set",
            "train.negatives=100",
            "--set",
            "train.batch-negatives=50",
            "--set",
            "train.lr=0.1",
            "--set",
            "train.seed=1",
            "--set",
            "train.epochs=" + epochs,
            "--set",
            "train.round-fraction=" + roundFraction,
            "--set",
            "train.bucket-slices=1"));
  }

  /** A fresh copy of UMLS, ingested and partitioned into {@code shards} random shards. */
  public static Path umls(Path target, int shards) throws Exception {
    Path template =
        TEMPLATES.computeIfAbsent(
            shards,
            p -> {
              try {
                return build(p);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    copy(template, target);
    return target;
  }

  private static Path build(int shards) throws Exception {
    Path dir = Files.createTempDirectory("kge-umls-p" + shards).resolve("out");
    Path data = Cli.repoRoot().resolve("data/umls");
    Cli.ingest(data, dir);
    partition(dir, shards);
    return dir;
  }

  /** Writes triples/partitioned as the partition stage does (random strategy, seed 7). */
  public static void partition(Path dir, int shards) throws Exception {
    SparkSession spark = SharedSpark.get();
    OutputDirectory output =
        OutputDirectory.at(dir.toString(), spark.sparkContext().hadoopConfiguration());
    output.addDatasets(
        "partition",
        Instant.now(),
        RunInfo.of(ConfigLoader.defaults(), spark.version()),
        List.of("triples/partitioned"),
        List.of(),
        staging -> {
          Dataset<Row> train = spark.read().parquet(dir.resolve("triples/train").toString());
          EdgePartitioner.partition(train, EdgePartitioner.Strategy.RANDOM, shards, 7, null)
              .write()
              .parquet(new org.apache.hadoop.fs.Path(staging, "triples/partitioned").toString());
          return Map.of("shards", shards);
        });
  }

  /**
   * Replaces triples/partitioned by random shards of only the training triples that avoid the given
   * entities, as a k-core reduction would: those entities are left for export's propagation.
   */
  public static void partitionWithout(Path dir, int shards, int... excluded) throws Exception {
    SparkSession spark = SharedSpark.get();
    OutputDirectory output =
        OutputDirectory.at(dir.toString(), spark.sparkContext().hadoopConfiguration());
    List<Object> ids = new ArrayList<>();
    for (int id : excluded) ids.add(id);
    output.addDatasets(
        "partition",
        Instant.now(),
        RunInfo.of(ConfigLoader.defaults(), spark.version()),
        List.of("triples/partitioned"),
        List.of(),
        staging -> {
          Dataset<Row> train = spark.read().parquet(dir.resolve("triples/train").toString());
          Dataset<Row> core =
              train.filter(
                  org.apache.spark.sql.functions.not(
                      org.apache
                          .spark
                          .sql
                          .functions
                          .col("head")
                          .isin(ids.toArray())
                          .or(org.apache.spark.sql.functions.col("tail").isin(ids.toArray()))));
          EdgePartitioner.partition(core, EdgePartitioner.Strategy.RANDOM, shards, 7, null)
              .write()
              .parquet(new org.apache.hadoop.fs.Path(staging, "triples/partitioned").toString());
          return Map.of("shards", shards);
        });
  }

  public static void copy(Path from, Path to) throws IOException {
    Files2.copyTree(from, to);
  }

  public static TripleArrays triples(Path dir, String split) {
    return triples(
        SharedSpark.get()
            .read()
            .parquet(dir.resolve("triples/" + split).toString())
            .select("head", "relation", "tail")
            .collectAsList());
  }

  /** The names of DIR/entities or DIR/relations ({@code dictionary}), indexed by id. */
  public static List<String> names(Path dir, String dictionary) {
    List<String> names = new ArrayList<>();
    for (Row row :
        SharedSpark.get()
            .read()
            .parquet(dir.resolve(dictionary).toString())
            .orderBy("id")
            .collectAsList()) {
      if (row.getInt(0) != names.size()) {
        throw new IllegalStateException(dictionary + ": ids are not 0.." + (names.size() - 1));
      }
      names.add(row.getString(1));
    }
    return names;
  }

  /** Rows of (head, relation, tail) ints as triple arrays, in row order. */
  public static TripleArrays triples(List<Row> rows) {
    int[] h = new int[rows.size()];
    int[] r = new int[rows.size()];
    int[] t = new int[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      h[i] = rows.get(i).getInt(0);
      r[i] = rows.get(i).getInt(1);
      t[i] = rows.get(i).getInt(2);
    }
    return new TripleArrays(h, r, t);
  }

  /**
   * The trained parameters of DIR/model/final (small test graphs only: collects the entity table).
   */
  public static ModelParameters finalParameters(Path dir, String model) {
    return parameters(dir.resolve("model/final").toString(), model);
  }

  public static ModelParameters parameters(String modelDir, String model) {
    SparkSession spark = SharedSpark.get();
    SharedParams shared = SharedParams.read(spark, modelDir + "/shared");
    List<Row> rows = spark.read().parquet(modelDir + "/entities").orderBy("id").collectAsList();
    int dim = rows.get(0).getList(1).size();
    float[] entities = new float[rows.size() * dim];
    float[] adagrad = new float[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(i, rows.get(i).getInt(0), "entity ids must be 0..n-1");
      System.arraycopy(SharedParams.toFloats(rows.get(i).getList(1)), 0, entities, i * dim, dim);
      adagrad[i] = rows.get(i).getFloat(2);
    }
    return new ModelParameters(
        model,
        rows.size(),
        shared.numRelations(),
        dim,
        shared.relationDim(),
        entities,
        shared.relations(),
        adagrad,
        shared.relationAdagrad(),
        List.of());
  }
}
