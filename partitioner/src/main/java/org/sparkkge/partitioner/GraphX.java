package org.sparkkge.partitioner;

import java.io.Serializable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import scala.collection.Iterator;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * What calling GraphX from Java needs: class tags, serializable Scala functions, message iterators,
 * saving results.
 */
final class GraphX {
  private GraphX() {}

  @FunctionalInterface
  interface F1<A, B> extends scala.Function1<A, B>, Serializable {}

  @FunctionalInterface
  interface F2<A, B, C> extends scala.Function2<A, B, C>, Serializable {}

  @FunctionalInterface
  interface F3<A, B, C, D> extends scala.Function3<A, B, C, D>, Serializable {}

  @SuppressWarnings("unchecked")
  static <T> ClassTag<T> tag(Class<?> type) {
    return (ClassTag<T>) ClassTag$.MODULE$.apply(type);
  }

  /**
   * Tag of a primitive int attribute (stored unboxed in GraphX's arrays), seen as Object from Java.
   */
  @SuppressWarnings("unchecked")
  static <T> ClassTag<T> intTag() {
    return (ClassTag<T>) (ClassTag<?>) ClassTag$.MODULE$.Int();
  }

  @SuppressWarnings("unchecked")
  static <T> ClassTag<T> byteTag() {
    return (ClassTag<T>) (ClassTag<?>) ClassTag$.MODULE$.Byte();
  }

  static <M> Iterator<Tuple2<Object, M>> noMessages() {
    return scala.collection.Iterator$.MODULE$.empty();
  }

  static <M> Iterator<Tuple2<Object, M>> message(long to, M message) {
    return scala.collection.Iterator$.MODULE$.single(new Tuple2<>(to, message));
  }

  /**
   * Writes {@code rdd} to the checkpoint directory (when there is one) and materialises it.
   * GraphX's Pregel deletes its own checkpoints when it returns, so the result of a Pregel program
   * is saved here before anything else reads it: losing an executor afterwards recomputes from
   * these files.
   */
  static <T> JavaRDD<T> saveResult(JavaRDD<T> rdd) {
    rdd.persist(StorageLevel.MEMORY_AND_DISK());
    if (rdd.context().getCheckpointDir().isDefined()) {
      rdd.checkpoint();
    }
    rdd.count();
    return rdd;
  }
}
