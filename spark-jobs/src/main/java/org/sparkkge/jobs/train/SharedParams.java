package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkkge.core.DenseTensor;
import org.sparkkge.core.average.SharedSnapshot;

/**
 * Parameters every shard shares (relation table, its Adagrad accumulators, NodePiece encoder
 * weights), small enough for the driver. Stored as Parquet {@code (name STRING, shape ARRAY<INT>,
 * values ARRAY<FLOAT>)}: rows "relations" [R, relationDim], "relation_adagrad" [R], and
 * "encoder/NAME" per encoder tensor.
 */
public record SharedParams(
    int numRelations,
    int relationDim,
    float[] relations,
    float[] relationAdagrad,
    List<DenseTensor> encoder)
    implements Serializable {

  public static final String RELATIONS = "relations";
  public static final String RELATION_ADAGRAD = "relation_adagrad";
  public static final String ENCODER_PREFIX = "encoder/";
  public static final StructType SCHEMA =
      new StructType()
          .add("name", DataTypes.StringType, false)
          .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
          .add("values", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  public static SharedParams of(SharedSnapshot s) {
    return new SharedParams(
        s.numRelations(), s.relationDim(), s.relations(), s.relationAdagrad(), s.encoder());
  }

  public void write(SparkSession spark, String path, String compression) {
    List<Row> rows = new ArrayList<>();
    rows.add(RowFactory.create(RELATIONS, new int[] {numRelations, relationDim}, relations));
    rows.add(RowFactory.create(RELATION_ADAGRAD, new int[] {numRelations}, relationAdagrad));
    for (DenseTensor t : encoder) {
      rows.add(RowFactory.create(ENCODER_PREFIX + t.name(), t.shape(), t.values()));
    }
    spark
        .createDataFrame(rows, SCHEMA)
        .coalesce(1)
        .write()
        .option("compression", compression)
        .parquet(path);
  }

  public static SharedParams read(SparkSession spark, String path) {
    Dataset<Row> data = spark.read().parquet(path);
    float[] relations = null;
    float[] adagrad = null;
    int numRelations = 0;
    int relationDim = 0;
    // encoder tensors keep the order of their names (the encoder looks them up by name)
    TreeMap<String, DenseTensor> encoder = new TreeMap<>();
    for (Row row : data.collectAsList()) {
      String name = row.getString(0);
      int[] shape = toInts(row.getList(1));
      float[] values = toFloats(row.getList(2));
      if (name.equals(RELATIONS)) {
        relations = values;
        numRelations = shape[0];
        relationDim = shape[1];
      } else if (name.equals(RELATION_ADAGRAD)) {
        adagrad = values;
      } else if (name.startsWith(ENCODER_PREFIX)) {
        String tensor = name.substring(ENCODER_PREFIX.length());
        encoder.put(tensor, new DenseTensor(tensor, shape, values));
      }
    }
    if (relations == null || adagrad == null) {
      throw new IllegalStateException(
          path + ": shared parameters lack the relations or relation_adagrad row");
    }
    return new SharedParams(
        numRelations, relationDim, relations, adagrad, new ArrayList<>(encoder.values()));
  }

  static int[] toInts(List<Object> list) {
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) out[i] = ((Number) list.get(i)).intValue();
    return out;
  }

  public static float[] toFloats(List<Object> list) {
    float[] out = new float[list.size()];
    for (int i = 0; i < out.length; i++) out[i] = ((Number) list.get(i)).floatValue();
    return out;
  }
}
