package org.sparkkge.jobs.train;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.util.Locale;

/**
 * The rows of one entity partition of the stratified schedule, as flat arrays (no object per row):
 * {@code ids} ascending, row i at {@code values[offset + i * dim .. + dim)} and {@code adagrad[i]}.
 * The values may be a slice of a larger array (a task's trained table holds two partitions back to
 * back); serialisation writes only the slice.
 */
public final class EntityBlock implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  private final int partition;
  private final int dim;
  private transient int[] ids;
  private transient float[] values;
  private transient int offset;
  private transient float[] adagrad;

  public EntityBlock(
      int partition, int dim, int[] ids, float[] values, int offset, float[] adagrad) {
    if (adagrad.length != ids.length || (long) offset + (long) ids.length * dim > values.length) {
      throw new IllegalArgumentException(
          "entity block "
              + partition
              + ": "
              + ids.length
              + " ids, "
              + adagrad.length
              + " accumulators and "
              + (values.length - offset)
              + " floats at dim "
              + dim);
    }
    this.partition = partition;
    this.dim = dim;
    this.ids = ids;
    this.values = values;
    this.offset = offset;
    this.adagrad = adagrad;
  }

  /**
   * Floats of {@code rows} rows at {@code dim}; fails with the numbers when a Java array cannot
   * hold them.
   */
  public static int floats(long rows, int dim, String what) {
    long n = rows * dim;
    if (n > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "%s: %,d rows x dim %d = %,d floats exceed one Java array (2^31 - 1); "
                  + "raise train.entity-partitions (or partition.shards) so each task holds fewer rows",
              what,
              rows,
              dim,
              n));
    }
    return (int) n;
  }

  public int partition() {
    return partition;
  }

  public int dim() {
    return dim;
  }

  public int rows() {
    return ids.length;
  }

  public int[] ids() {
    return ids;
  }

  public float adagrad(int row) {
    return adagrad[row];
  }

  /** Copies row i into {@code out} at {@code at}. */
  public void copyRow(int row, float[] out, int at) {
    System.arraycopy(values, offset + row * dim, out, at, dim);
  }

  /** Copies every row, in id order, into {@code out} starting at float {@code at}. */
  public void copyValues(float[] out, int at) {
    System.arraycopy(values, offset, out, at, ids.length * dim);
  }

  public void copyAdagrad(float[] out, int at) {
    System.arraycopy(adagrad, 0, out, at, ids.length);
  }

  /** Row i as a fresh array (for writing a checkpoint row). */
  public float[] row(int row) {
    float[] out = new float[dim];
    copyRow(row, out, 0);
    return out;
  }

  @Serial
  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    BulkArrays arrays = new BulkArrays();
    arrays.writeInts(out, ids);
    arrays.writeFloats(out, values, offset, ids.length * dim);
    arrays.writeFloats(out, adagrad);
  }

  @Serial
  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    BulkArrays arrays = new BulkArrays();
    ids = arrays.readInts(in);
    values = arrays.readFloats(in);
    offset = 0;
    adagrad = arrays.readFloats(in);
    if (values.length != (long) ids.length * dim || adagrad.length != ids.length) {
      throw new InvalidObjectException(
          "entity block "
              + partition
              + ": "
              + ids.length
              + " ids, "
              + values.length
              + " floats at dim "
              + dim
              + ", "
              + adagrad.length
              + " accumulators");
    }
  }
}
