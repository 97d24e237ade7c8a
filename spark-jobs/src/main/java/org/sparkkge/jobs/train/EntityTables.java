package org.sparkkge.jobs.train;

import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The shallow entity table, which lives in Spark and is never collected: Parquet {@code (id INT,
 * embedding ARRAY<FLOAT>, adagrad FLOAT)}, read back as (id, {@link EntityRow}) pairs.
 */
public final class EntityTables {
  public static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType, false)
          .add("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), false)
          .add("adagrad", DataTypes.FloatType, false);

  private EntityTables() {}

  public static JavaPairRDD<Integer, EntityRow> read(SparkSession spark, String path) {
    return rows(spark, path)
        .javaRDD()
        .mapToPair(
            row -> {
              List<Object> values = row.getList(1);
              return new Tuple2<>(
                  row.getInt(0), new EntityRow(SharedParams.toFloats(values), row.getFloat(2)));
            });
  }

  /** The table at {@code path} as rows of {@link #SCHEMA}, read without a footer job. */
  public static Dataset<Row> rows(SparkSession spark, String path) {
    return spark.read().schema(SCHEMA).parquet(path);
  }

  public static void write(
      SparkSession spark, JavaPairRDD<Integer, EntityRow> table, String path, String compression) {
    JavaRDD<Row> rows =
        table.map(e -> RowFactory.create(e._1(), e._2().values(), e._2().adagrad()));
    writer(spark.createDataFrame(rows, SCHEMA), compression).parquet(path);
  }

  /**
   * A writer for entity-table rows. Parquet's dictionary encoding is off: trained floats hardly
   * ever repeat, and filling the dictionary before falling back to plain encoding took more CPU
   * than the rest of a checkpoint write.
   */
  public static DataFrameWriter<Row> writer(Dataset<Row> rows, String compression) {
    return rows.write()
        .option("compression", compression)
        .option("parquet.enable.dictionary", "false");
  }

  /**
   * Initial row of entity {@code id}: uniform in [-initScale, initScale] from a generator seeded by
   * (seed, id), so the one shared initialisation does not depend on partitioning or on the driver.
   */
  public static EntityRow initialRow(long seed, int id, int dim, float initScale) {
    Random random = new Random(Seeds.ofRow(seed, id));
    float[] values = new float[dim];
    for (int i = 0; i < dim; i++) {
      values[i] = (random.nextFloat() * 2f - 1f) * initScale;
    }
    return new EntityRow(values, 0f);
  }
}
