package org.sparkkge.core;

import java.util.Arrays;

/** A named dense weight (e.g. a NodePiece encoder matrix) as plain row-major floats. */
public record DenseTensor(String name, int[] shape, float[] values) {
  public DenseTensor {
    long n = 1;
    for (int s : shape) {
      if (s <= 0)
        throw new IllegalArgumentException(
            "tensor " + name + ": non-positive extent in " + Arrays.toString(shape));
      n *= s;
    }
    if (n != values.length) {
      throw new IllegalArgumentException(
          "tensor "
              + name
              + ": shape "
              + Arrays.toString(shape)
              + " needs "
              + n
              + " values, got "
              + values.length);
    }
  }

  public DenseTensor copy() {
    return new DenseTensor(name, shape.clone(), values.clone());
  }

  public long[] longShape() {
    return Arrays.stream(shape).asLongStream().toArray();
  }
}
