package org.sparkkge.jobs.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.StreamCorruptedException;
import java.nio.ByteBuffer;

/**
 * int and float arrays through Java serialisation as bulk byte copies. ObjectOutputStream writes a
 * float[] one value at a time, several times slower: entity rows cross a shuffle, a task result or
 * a broadcast in every sub-round of the stratified schedule.
 */
final class BulkArrays {
  private static final int CHUNK = 1 << 16;

  private final byte[] buffer = new byte[CHUNK * 4];
  private final ByteBuffer bytes = ByteBuffer.wrap(buffer);

  void writeInts(ObjectOutputStream out, int[] from) throws IOException {
    write(out, from.length, (chunk, done, n) -> chunk.asIntBuffer().put(from, done, n));
  }

  /** {@code count} floats of {@code from} starting at {@code at}, with their count. */
  void writeFloats(ObjectOutputStream out, float[] from, int at, int count) throws IOException {
    write(out, count, (chunk, done, n) -> chunk.asFloatBuffer().put(from, at + done, n));
  }

  void writeFloats(ObjectOutputStream out, float[] from) throws IOException {
    writeFloats(out, from, 0, from.length);
  }

  int[] readInts(ObjectInputStream in) throws IOException {
    int[] into = new int[checkedLength(in.readInt())];
    read(in, into.length, (chunk, done, n) -> chunk.asIntBuffer().get(into, done, n));
    return into;
  }

  float[] readFloats(ObjectInputStream in) throws IOException {
    float[] into = new float[checkedLength(in.readInt())];
    read(in, into.length, (chunk, done, n) -> chunk.asFloatBuffer().get(into, done, n));
    return into;
  }

  /** Copies values [done, done + n) of an array into or out of a chunk of the byte buffer. */
  private interface ChunkCopy {
    void copy(ByteBuffer chunk, int done, int n);
  }

  private void write(ObjectOutputStream out, int count, ChunkCopy put) throws IOException {
    out.writeInt(count);
    for (int done = 0; done < count; done += CHUNK) {
      int n = Math.min(CHUNK, count - done);
      bytes.clear();
      put.copy(bytes, done, n);
      out.write(buffer, 0, n * 4);
    }
  }

  private void read(ObjectInputStream in, int count, ChunkCopy get) throws IOException {
    for (int done = 0; done < count; done += CHUNK) {
      int n = Math.min(CHUNK, count - done);
      in.readFully(buffer, 0, n * 4);
      bytes.clear();
      get.copy(bytes, done, n);
    }
  }

  private static int checkedLength(int length) throws IOException {
    if (length < 0) {
      throw new StreamCorruptedException("negative array length " + length);
    }
    return length;
  }

  /**
   * The serialised form of a {@link ShardOutput.PoolDelta} (records ignore writeObject, not
   * writeReplace).
   */
  static final class PoolDeltaForm implements Serializable {
    @java.io.Serial private static final long serialVersionUID = 1L;
    private transient ShardOutput.PoolDelta delta;

    PoolDeltaForm(ShardOutput.PoolDelta delta) {
      this.delta = delta;
    }

    @java.io.Serial
    private void writeObject(ObjectOutputStream out) throws IOException {
      BulkArrays arrays = new BulkArrays();
      out.writeInt(delta.partition());
      out.writeInt(delta.shard());
      arrays.writeInts(out, delta.ids());
      arrays.writeFloats(out, delta.values());
      arrays.writeFloats(out, delta.adagrad());
      arrays.writeFloats(out, delta.startAdagrad());
    }

    @java.io.Serial
    private void readObject(ObjectInputStream in) throws IOException {
      BulkArrays arrays = new BulkArrays();
      int partition = in.readInt();
      int shard = in.readInt();
      delta =
          new ShardOutput.PoolDelta(
              partition,
              shard,
              arrays.readInts(in),
              arrays.readFloats(in),
              arrays.readFloats(in),
              arrays.readFloats(in));
    }

    @java.io.Serial
    private Object readResolve() {
      return delta;
    }
  }

  /** The serialised form of a {@link NegativePool}. */
  static final class NegativePoolForm implements Serializable {
    @java.io.Serial private static final long serialVersionUID = 1L;
    private transient NegativePool pool;

    NegativePoolForm(NegativePool pool) {
      this.pool = pool;
    }

    @java.io.Serial
    private void writeObject(ObjectOutputStream out) throws IOException {
      BulkArrays arrays = new BulkArrays();
      out.writeInt(pool.dim());
      arrays.writeInts(out, pool.ids());
      arrays.writeFloats(out, pool.values());
      arrays.writeFloats(out, pool.adagrad());
    }

    @java.io.Serial
    private void readObject(ObjectInputStream in) throws IOException {
      BulkArrays arrays = new BulkArrays();
      int dim = in.readInt();
      pool =
          new NegativePool(dim, arrays.readInts(in), arrays.readFloats(in), arrays.readFloats(in));
    }

    @java.io.Serial
    private Object readResolve() {
      return pool;
    }
  }
}
