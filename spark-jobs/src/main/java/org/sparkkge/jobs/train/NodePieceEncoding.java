package org.sparkkge.jobs.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.sparkkge.core.nodepiece.NodePieceEncoder;
import org.sparkkge.core.nodepiece.NodePieceTokens;
import org.sparkkge.jobs.GpuScheduling;
import org.sparkkge.jobs.TaskDevices;
import scala.Tuple2;

/**
 * Entity embeddings from NodePiece tokens, encoded on the executors (never collected), each task on
 * its device ({@link GpuScheduling}).
 */
public final class NodePieceEncoding {
  private NodePieceEncoding() {}

  /**
   * Encodes token rows (id, anchors, distances, relations) with the broadcast encoder weights: one
   * encoder pass per partition, in the partition's row order. A task that cannot use the GPU it was
   * given encodes nothing and records why in {@code devices}: the caller checks it ({@link
   * TaskDevices#requireUsable}) after its job, before it uses the rows.
   */
  public static JavaPairRDD<Integer, float[]> encode(
      JavaRDD<Row> tokenRows,
      TokenTables desc,
      Broadcast<List<TensorData>> weights,
      TaskDevices devices) {
    return GpuScheduling.onDevice(
        tokenRows.mapPartitionsToPair(
            (Iterator<Row> it) -> {
              List<Row> rows = new ArrayList<>();
              it.forEachRemaining(rows::add);
              if (rows.isEmpty()) {
                return Collections.emptyIterator();
              }
              Optional<Device> device = devices.taskDevice();
              if (device.isEmpty()) {
                return Collections.emptyIterator();
              }
              NodePieceTokens table = desc.table(rows);
              Engine.getInstance();
              float[] values =
                  NodePieceEncoder.encodeAll(
                      TensorData.toDense(weights.value()), table, device.get());
              int dim = values.length / table.numEntities();
              List<Tuple2<Integer, float[]>> out = new ArrayList<>(rows.size());
              for (int i = 0; i < rows.size(); i++) {
                float[] v = new float[dim];
                System.arraycopy(values, i * dim, v, 0, dim);
                out.add(new Tuple2<>(rows.get(i).getInt(0), v));
              }
              return out.iterator();
            }));
  }
}
