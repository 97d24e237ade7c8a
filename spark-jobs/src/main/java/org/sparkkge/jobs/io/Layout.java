package org.sparkkge.jobs.io;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Every path inside an output directory, relative to it, and the stage that writes each dataset:
 * the one place that knows the layout of docs/outputs.md. Stages, the query commands and the report
 * resolve paths only through these names ({@code LayoutLiteralsTest} checks that no other class
 * spells one), so moving a dataset is a change here and in the docs.
 */
public final class Layout {
  // Stage names: subcommands, marker files _stages/NAME.json and stats.json sections.
  public static final String INGEST = "ingest";
  public static final String REDUCE = "reduce";
  public static final String TOKENIZE = "tokenize";
  public static final String PARTITION = "partition";
  public static final String TRAIN = "train";
  public static final String EXPORT = "export";
  public static final String EVALUATE = "evaluate";

  // The commit protocol (OutputDirectory).
  public static final String SUCCESS = "_SUCCESS";
  public static final String STAGES = "_stages";
  public static final String TEMPORARY = "_temporary";
  public static final String MANIFEST = "manifest.json";
  public static final String CONFIG = "config.conf";

  // Files every stage adds to.
  public static final String STATS_JSON = "stats.json";
  public static final String METRICS_JSON = "metrics.json";
  public static final String REPORT_HTML = "report.html";

  // ingest
  public static final String ENTITIES = "entities";
  public static final String RELATIONS = "relations";
  public static final String TRAIN_TRIPLES = "triples/train";
  public static final String VALID_TRIPLES = "triples/valid";
  public static final String TEST_TRIPLES = "triples/test";
  public static final String REJECTS = "rejects";

  // reduce
  public static final String CORE_NUMBERS = "core_numbers";
  public static final String CORE_TRIPLES = "triples/core";
  public static final String PERIPHERY = "periphery";

  // tokenize
  public static final String TOKENS = "tokens";
  public static final String VOCAB = "vocab";

  // partition
  public static final String PARTITIONED_TRIPLES = "triples/partitioned";

  // train: a model directory (a checkpoint round or the final model) holds the names under MODEL_*.
  public static final String CHECKPOINTS = "model/checkpoints";
  public static final String FINAL_MODEL = "model/final";
  public static final String MODEL_ENTITIES = "entities";
  public static final String MODEL_SHARED = "shared";
  public static final String MODEL_INFO = "model.json";
  public static final String ROUND_METADATA = "round.json";
  public static final String ROUND_COMPLETE = "_COMPLETE";
  private static final String ROUND_PREFIX = "round-";

  // export
  public static final String ENTITY_EMBEDDINGS = "entity_embeddings";
  public static final String RELATION_EMBEDDINGS = "relation_embeddings";
  public static final String MODEL_JSON = "model.json";
  public static final String NEW_ENTITY_EMBEDDINGS = "new_entity_embeddings";

  /** export.new-triples as ids (head, relation, tail), beside new_entity_embeddings. */
  public static final String NEW_TRIPLES = "triples/new";

  public static final String NODEPIECE_VOCABULARY = "nodepiece_vocabulary";
  public static final String NODEPIECE_ENCODER = "nodepiece_encoder";

  // evaluate
  public static final String PER_RELATION = "evaluation/per_relation";

  /** The schema of entities/ and relations/: id INT (0 ... n-1), name STRING. */
  public static final StructType DICTIONARY_SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("name", DataTypes.StringType, false);

  /** The schema of triples/SPLIT: head, relation, tail INT (ids of entities/ and relations/). */
  public static final StructType TRIPLES_SCHEMA =
      new StructType()
          .add("head", DataTypes.IntegerType, false)
          .add("relation", DataTypes.IntegerType, false)
          .add("tail", DataTypes.IntegerType, false);

  /**
   * {@code dataset} of {@code output} (triples/train, valid or test; entities or relations) read
   * with its fixed schema, which spares Spark the job that reads a Parquet footer to infer it.
   */
  public static Dataset<Row> read(SparkSession spark, OutputDirectory output, String dataset) {
    return read(spark, output.resolve(dataset), dataset);
  }

  /** {@link #read(SparkSession, OutputDirectory, String)} of a copy at {@code location}, staged. */
  public static Dataset<Row> read(SparkSession spark, Path location, String dataset) {
    return spark.read().schema(schemaOf(dataset)).parquet(location.toString());
  }

  static StructType schemaOf(String dataset) {
    return switch (dataset) {
      case TRAIN_TRIPLES, VALID_TRIPLES, TEST_TRIPLES -> TRIPLES_SCHEMA;
      case ENTITIES, RELATIONS -> DICTIONARY_SCHEMA;
      default -> throw new IllegalArgumentException("no fixed schema for dataset " + dataset);
    };
  }

  /**
   * entity_embeddings' source of an entity that export placed from its neighbours instead of
   * training it.
   */
  public static final String SOURCE_PROPAGATED = "propagated";

  private static final Map<String, String> WRITERS = new LinkedHashMap<>();

  static {
    for (String dataset :
        new String[] {ENTITIES, RELATIONS, TRAIN_TRIPLES, VALID_TRIPLES, TEST_TRIPLES, REJECTS}) {
      WRITERS.put(dataset, INGEST);
    }
    for (String dataset : new String[] {CORE_NUMBERS, CORE_TRIPLES, PERIPHERY}) {
      WRITERS.put(dataset, REDUCE);
    }
    WRITERS.put(TOKENS, TOKENIZE);
    WRITERS.put(VOCAB, TOKENIZE);
    WRITERS.put(PARTITIONED_TRIPLES, PARTITION);
    WRITERS.put(FINAL_MODEL, TRAIN);
    for (String dataset :
        new String[] {
          ENTITY_EMBEDDINGS,
          RELATION_EMBEDDINGS,
          MODEL_JSON,
          NEW_ENTITY_EMBEDDINGS,
          NEW_TRIPLES,
          NODEPIECE_VOCABULARY,
          NODEPIECE_ENCODER
        }) {
      WRITERS.put(dataset, EXPORT);
    }
    WRITERS.put(PER_RELATION, EVALUATE);
  }

  private Layout() {}

  /** triples/SPLIT for a split name (train, valid, test). */
  public static String triples(String split) {
    return switch (split) {
      case "train" -> TRAIN_TRIPLES;
      case "valid" -> VALID_TRIPLES;
      case "test" -> TEST_TRIPLES;
      default -> throw new IllegalArgumentException("no split " + split + " (train, valid, test)");
    };
  }

  /** model/checkpoints/round-NNNNN (round 0 holds the initial parameters). */
  public static String checkpoint(int round) {
    return CHECKPOINTS + "/" + String.format(Locale.ROOT, "%s%05d", ROUND_PREFIX, round);
  }

  /** The round of a checkpoint directory's name (round-NNNNN), or -1 for any other name. */
  public static int checkpointRound(String directoryName) {
    return directoryName.matches(ROUND_PREFIX + "\\d{5,}")
        ? Integer.parseInt(directoryName.substring(ROUND_PREFIX.length()))
        : -1;
  }

  /**
   * A dataset inside a model directory, e.g. model(FINAL_MODEL, MODEL_SHARED) = model/final/shared.
   */
  public static String model(String modelDirectory, String name) {
    return modelDirectory + "/" + name;
  }

  /** _stages/STAGE.json, the marker that makes a stage's datasets count as complete. */
  public static String stageMarker(String stage) {
    return STAGES + "/" + stage + ".json";
  }

  /** The stage that writes {@code dataset}; every dataset a stage may require has one. */
  public static String writer(String dataset) {
    String stage = WRITERS.get(dataset);
    if (stage == null) {
      throw new IllegalArgumentException("no stage writes " + dataset);
    }
    return stage;
  }
}
