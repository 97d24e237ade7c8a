package org.sparkkge.jobs.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.sparkkge.core.DenseTensor;

/**
 * A serialisable copy of embedding-core's {@link DenseTensor} (which is not Serializable), for
 * tasks.
 */
public record TensorData(String name, int[] shape, float[] values) implements Serializable {

  public static List<TensorData> of(List<DenseTensor> tensors) {
    List<TensorData> out = new ArrayList<>(tensors.size());
    for (DenseTensor t : tensors) out.add(new TensorData(t.name(), t.shape(), t.values()));
    return out;
  }

  public static List<DenseTensor> toDense(List<TensorData> tensors) {
    List<DenseTensor> out = new ArrayList<>(tensors.size());
    for (TensorData t : tensors) out.add(new DenseTensor(t.name(), t.shape(), t.values()));
    return out;
  }
}
