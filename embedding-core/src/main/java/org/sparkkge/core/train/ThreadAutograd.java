package org.sparkkge.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Records and back-propagates one step's graph in the calling thread only, without DJL's
 * GradientCollector. DJL allows one collector per JVM (a JVM-wide flag), so two trainings in one
 * JVM (two Spark tasks in one executor) could only take turns. libtorch itself keeps grad mode per
 * thread and runs backward on independent graphs from several threads at once, and every training
 * owns its leaves, managers and tables, so each thread switches grad mode on for its own forward
 * pass and calls libtorch's backward on its own loss: concurrent trainings run in parallel and
 * never share a tensor.
 */
final class ThreadAutograd implements AutoCloseable {
  private final boolean previousGradMode;

  /** Turns grad mode on in this thread until {@link #close()}. */
  ThreadAutograd() {
    previousGradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(true);
  }

  /** Adds d(loss)/d(leaf) to the gradient of every leaf the (scalar) loss depends on. */
  void backward(NDArray loss) {
    JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previousGradMode);
  }
}
