package org.sparkkge.jobs.ingest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.Serializable;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedByInterruptException;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.spark.Partition;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.rdd.NewHadoopPartition;
import org.apache.spark.rdd.RDD;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;

/**
 * Input that cannot be read (a truncated or corrupt gzip file, a file that cannot be opened, an
 * exception while parsing) fails the same way on every attempt, so the reading tasks do not throw
 * it: Spark would retry each task spark.task.maxFailures times (4 on clusters) and then end the run
 * with a stack trace. Instead a task that meets such a failure returns one failure record naming
 * its file (and line when known) and stops reading; the driver turns the first one into the
 * one-line {@code ingest: FILE:LINE: REASON} error and exit code 1. Failures that may pass on a
 * retry (network errors, timeouts, an HDFS block missing for now, interruption and task kills) are
 * thrown as before, for Spark to retry.
 */
final class ReadFailures {
  private ReadFailures() {}

  /**
   * Compression suffixes of Hadoop's codecs: an IOException while reading such a file is a decoding
   * error.
   */
  private static final String[] COMPRESSED = {".gz", ".bz2", ".deflate", ".zst", ".lz4", ".snappy"};

  /** True for failures that a retry may not meet again: those are thrown for Spark to retry. */
  static boolean isTransient(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof TaskKilledException
          || t instanceof InterruptedException
          || t instanceof InterruptedIOException // also SocketTimeoutException
          || t instanceof ClosedByInterruptException
          || t instanceof SocketException // also ConnectException
          || t instanceof UnknownHostException
          || t instanceof TimeoutException
          || t.getClass().getName().equals("org.apache.hadoop.hdfs.BlockMissingException")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * The reason of a read failure for the error line: the first IOException in the cause chain (the
   * file system's or the decompressor's own words), else the exception itself.
   */
  static String reason(String file, Throwable error) {
    Throwable shown = error;
    for (Throwable t = error; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof IOException) {
        shown = t;
        break;
      }
    }
    String what = describe(shown);
    if (!(shown instanceof IOException)) {
      return "unexpected error while reading: " + what;
    }
    String lower = file.toLowerCase(Locale.ROOT);
    for (String suffix : COMPRESSED) {
      if (lower.endsWith(suffix)) {
        return "cannot read: corrupt or truncated compressed file (" + what + ")";
      }
    }
    return "cannot read: " + what;
  }

  /** "SimpleName: first line of the message": an error line stays one line. */
  static String describe(Throwable error) {
    String message = error.getMessage();
    if (message == null || message.isBlank()) {
      return error.getClass().getSimpleName();
    }
    int end = message.indexOf('\n');
    return error.getClass().getSimpleName()
        + ": "
        + (end < 0 ? message : message.substring(0, end)).strip();
  }

  @SuppressWarnings("unchecked")
  static <E extends Throwable> RuntimeException rethrow(Throwable error) throws E {
    throw (E) error;
  }

  /**
   * What a reading task does with its split's records, and the record it returns when reading
   * fails.
   */
  interface SplitReader<T> extends Serializable {
    /**
     * Reads the split, partition {@code partition} of the input (not the task's partition id, which
     * differs once the RDD is read through a union); may throw a failure from records.hasNext/next,
     * see {@link Guarded}.
     */
    Iterator<T> read(int partition, InputSplit split, Iterator<Tuple2<LongWritable, Text>> records);

    /** The one record standing for a failure before any record could be read (opening the file). */
    T failedToOpen(int partition, InputSplit split, Exception error);
  }

  /**
   * The records of a Hadoop input RDD read by a {@link SplitReader}, with the same partitions and
   * preferred locations: opening the split (which the Hadoop RDD does before the first record) is
   * guarded here, reading records by the reader's own iterator.
   */
  static final class Guarded<T> extends RDD<T> {
    private final RDD<Tuple2<LongWritable, Text>> input;
    private final SplitReader<T> reader;

    Guarded(RDD<Tuple2<LongWritable, Text>> input, SplitReader<T> reader, Class<T> type) {
      super(input, ClassTag.apply(type));
      this.input = input;
      this.reader = reader;
    }

    @Override
    public scala.collection.Iterator<T> compute(Partition partition, TaskContext context) {
      InputSplit split = ((NewHadoopPartition) partition).serializableHadoopSplit().value();
      scala.collection.Iterator<Tuple2<LongWritable, Text>> records;
      try {
        records = input.iterator(partition, context);
      } catch (Exception e) {
        if (isTransient(e)) {
          throw rethrow(e);
        }
        return CollectionConverters.asScala(
            List.of(reader.failedToOpen(partition.index(), split, e)).iterator());
      }
      return CollectionConverters.asScala(
          reader.read(partition.index(), split, CollectionConverters.asJava(records)));
    }

    @Override
    public Partition[] getPartitions() {
      return input.partitions();
    }

    @Override
    public Seq<String> getPreferredLocations(Partition partition) {
      return input.preferredLocations(partition);
    }
  }

  /**
   * Records of a split that stop at the first failure: a deterministic one becomes the record
   * {@code onFailure} makes (then the iterator ends), a transient one is thrown.
   */
  abstract static class StoppingIterator<S, T> implements Iterator<T> {
    private final Iterator<S> source;
    private T failure;
    private boolean done;

    StoppingIterator(Iterator<S> source) {
      this.source = source;
    }

    /** The output record of one input record (may throw: that is a failure too). */
    abstract T convert(S record);

    /** The record standing for a failure while reading or converting. */
    abstract T onFailure(Exception error);

    @Override
    public boolean hasNext() {
      if (failure != null) {
        return true;
      }
      if (done) {
        return false;
      }
      try {
        done = !source.hasNext();
      } catch (Exception e) {
        fail(e);
        return true;
      }
      return !done;
    }

    @Override
    public T next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      if (failure != null) {
        T record = failure;
        failure = null;
        done = true;
        return record;
      }
      try {
        return convert(source.next());
      } catch (Exception e) {
        fail(e);
        T record = failure;
        failure = null;
        done = true;
        return record;
      }
    }

    private void fail(Exception e) {
      if (isTransient(e)) {
        throw rethrow(e);
      }
      failure = onFailure(e);
      done = true;
    }
  }
}
