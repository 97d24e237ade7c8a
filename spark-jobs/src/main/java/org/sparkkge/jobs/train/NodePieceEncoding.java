package org.sparkkge.jobs.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.sparkkge.core.nodepiece.NodePieceEncoder;
import org.sparkkge.core.nodepiece.NodePieceTokens;
import scala.Tuple2;

/** Entity embeddings from NodePiece tokens, encoded on the executors (never collected). */
public final class NodePieceEncoding {
  private NodePieceEncoding() {}

  /**
   * Encodes token rows (id, anchors, distances, relations) with the broadcast encoder weights: one
   * encoder pass per partition, in the partition's row order.
   */
  public static JavaPairRDD<Integer, float[]> encode(
      JavaRDD<Row> tokenRows, TokenTables desc, Broadcast<List<TensorData>> weights) {
    return tokenRows.mapPartitionsToPair(
        (Iterator<Row> it) -> {
          List<Row> rows = new ArrayList<>();
          it.forEachRemaining(rows::add);
          if (rows.isEmpty()) {
            return Collections.emptyIterator();
          }
          NodePieceTokens table = desc.table(rows);
          Engine.getInstance();
          float[] values =
              NodePieceEncoder.encodeAll(TensorData.toDense(weights.value()), table, Device.cpu());
          int dim = values.length / table.numEntities();
          List<Tuple2<Integer, float[]>> out = new ArrayList<>(rows.size());
          for (int i = 0; i < rows.size(); i++) {
            float[] v = new float[dim];
            System.arraycopy(values, i * dim, v, 0, dim);
            out.add(new Tuple2<>(rows.get(i).getInt(0), v));
          }
          return out.iterator();
        });
  }
}
