package org.sparkkge.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands for the operations of a training step's forward pass. DJL turns a Java number
 * operand ({@code x.mul(0.05f)}) into a 0-d tensor over a Java direct buffer and closes it as soon
 * as the operation returns. Where autograd saves that operand for the backward pass (mul, div, pow,
 * maximum ...), libtorch keeps pointing at the buffer's memory, which the garbage collector frees
 * and reuses meanwhile: the backward pass then reads whatever lies there, and gradients come out
 * wrong or NaN (a training that gives its exact result alone diverged at its second step when
 * another thread kept the collector busy). A scalar that libtorch allocates itself lives as long as
 * autograd holds it. Every number in a recorded operation goes through {@link #of}.
 */
public final class NativeScalars {
  private NativeScalars() {}

  /** A 0-d tensor holding {@code value}, on the manager, device and data type of {@code like}. */
  public static NDArray of(NDArray like, float value) {
    return like.getManager().full(new Shape(), value, like.getDataType());
  }
}
