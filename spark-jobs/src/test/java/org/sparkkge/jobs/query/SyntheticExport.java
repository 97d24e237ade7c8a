package org.sparkkge.jobs.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkkge.jobs.SharedSpark;

/**
 * A small export directory in the export stage's layout (docs/outputs.md), written with Spark so
 * the Parquet files look exactly like the real ones (several part files, Spark's LIST encoding),
 * with planted answers:
 *
 * <ul>
 *   <li>e01 = 2 * e00 (cosine 1 with e00) and e02 = e00 + small noise: the nearest neighbours of
 *       e00;
 *   <li>e05 = e03 + r0 for the translation models: the best tail of (e03, r0, ?) for TransE;
 *   <li>e11 is all zeros (cosine 0 with everything, never a division by zero).
 * </ul>
 */
final class SyntheticExport {
  static final int ENTITIES = 12;
  static final int RELATIONS = 3;

  final String model;
  final int dim;
  final float[][] entities;
  final float[][] relations;
  final int[] coreNumbers;
  final Path dir;
  final List<String> entityNames;
  final List<String> relationNames;

  private SyntheticExport(
      String model,
      int dim,
      float[][] entities,
      float[][] relations,
      int[] coreNumbers,
      Path dir,
      List<String> entityNames,
      List<String> relationNames) {
    this.entityNames = entityNames;
    this.relationNames = relationNames;
    this.model = model;
    this.dim = dim;
    this.entities = entities;
    this.relations = relations;
    this.coreNumbers = coreNumbers;
    this.dir = dir;
  }

  static String entityName(int id) {
    return String.format("e%02d", id);
  }

  static String relationName(int id) {
    return "r" + id;
  }

  static SyntheticExport write(Path dir, String model, int dim, long seed) {
    List<String> entityNames = new ArrayList<>();
    for (int e = 0; e < ENTITIES; e++) {
      entityNames.add(entityName(e));
    }
    List<String> relationNames = new ArrayList<>();
    for (int r = 0; r < RELATIONS; r++) {
      relationNames.add(relationName(r));
    }
    return write(dir, model, dim, seed, entityNames, relationNames);
  }

  /** The same with other names (ENTITIES entity names, RELATIONS relation names, in id order). */
  static SyntheticExport write(
      Path dir,
      String model,
      int dim,
      long seed,
      List<String> entityNames,
      List<String> relationNames) {
    if (entityNames.size() != ENTITIES || relationNames.size() != RELATIONS) {
      throw new IllegalArgumentException(
          "need " + ENTITIES + " entity and " + RELATIONS + " relation names");
    }
    Random random = new Random(seed);
    float[][] entities = new float[ENTITIES][dim];
    for (int e = 0; e < ENTITIES - 1; e++) {
      for (int i = 0; i < dim; i++) {
        entities[e][i] = (float) random.nextGaussian();
      }
    }
    int relationWidth = model.equals("rotate") ? dim / 2 : dim;
    float[][] relations = new float[RELATIONS][relationWidth];
    for (float[] relation : relations) {
      for (int i = 0; i < relationWidth; i++) {
        relation[i] =
            (float)
                (model.equals("rotate")
                    ? (random.nextDouble() * 2 - 1) * Math.PI
                    : random.nextGaussian());
      }
    }
    for (int i = 0; i < dim; i++) {
      entities[1][i] = 2 * entities[0][i];
      entities[2][i] = entities[0][i] + 0.05f * (float) random.nextGaussian();
      if (model.startsWith("transe")) {
        entities[5][i] = entities[3][i] + relations[0][i];
      }
    }
    int[] cores = new int[ENTITIES];
    for (int e = 0; e < ENTITIES; e++) {
      cores[e] = e % 4;
    }
    SyntheticExport export =
        new SyntheticExport(
            model, dim, entities, relations, cores, dir, entityNames, relationNames);
    export.writeFiles();
    return export;
  }

  private void writeFiles() {
    StructType entitySchema =
        new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("name", DataTypes.StringType, false)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("core_number", DataTypes.IntegerType, true)
            .add("source", DataTypes.StringType, false);
    List<Row> rows = new ArrayList<>();
    for (int e = 0; e < ENTITIES; e++) {
      rows.add(
          RowFactory.create(
              e,
              entityNames.get(e),
              boxed(entities[e]),
              coreNumbers[e],
              e == 10 ? "propagated" : "trained"));
    }
    SharedSpark.get()
        .createDataFrame(rows, entitySchema)
        .repartition(3)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(dir.resolve("entity_embeddings").toString());
    StructType relationSchema =
        new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("name", DataTypes.StringType, false)
            .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false);
    List<Row> relationRows = new ArrayList<>();
    for (int r = 0; r < RELATIONS; r++) {
      relationRows.add(RowFactory.create(r, relationNames.get(r), boxed(relations[r])));
    }
    SharedSpark.get()
        .createDataFrame(relationRows, relationSchema)
        .coalesce(1)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(dir.resolve("relation_embeddings").toString());
    Map<String, Object> modelJson = new LinkedHashMap<>();
    modelJson.put("model", model);
    modelJson.put("dim", dim);
    modelJson.put("relation_dim", relations[0].length);
    try {
      Files.createDirectories(dir);
      new ObjectMapper().writeValue(dir.resolve("model.json").toFile(), modelJson);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Float> boxed(float[] values) {
    List<Float> list = new ArrayList<>(values.length);
    for (float v : values) {
      list.add(v);
    }
    return list;
  }
}
