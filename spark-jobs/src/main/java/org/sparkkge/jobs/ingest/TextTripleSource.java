package org.sparkkge.jobs.ingest;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.Partition;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.NewHadoopPartition;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.jobs.PipelineException;
import org.sparkkge.jobs.io.HadoopPaths;

/**
 * Reads text triples (plain or compressed, a file or a directory of parts) with Hadoop's
 * TextInputFormat so every record knows its file and 1-based line number without a driver-side
 * scan: one pass counts the lines of every input split (O(#splits) numbers reach the driver), a
 * prefix sum per file gives each split's first line number, and the parsing pass numbers its lines
 * from there. Invalid UTF-8 is detected on the raw bytes, before decoding. A file that cannot be
 * read (truncated or corrupt gzip, cannot be opened) or an exception while parsing ends its task
 * with a failure record instead of an exception, so Spark does not retry it ({@link ReadFailures}):
 * the count pass throws the {@link PipelineException} itself, the parsing pass returns a row with
 * status {@link ParsedLines#READ_FAILED} that the ingest stage turns into one.
 */
public final class TextTripleSource {
  private TextTripleSource() {}

  /**
   * Line count of one input split; error (with the line, when known) when the split could not be
   * read.
   */
  record SplitLines(
      int partition, String file, long start, long lines, String error, Long errorLine)
      implements Serializable {}

  public static Dataset<Row> read(
      SparkSession spark, Path path, LineParser parser, boolean skipHeader, long maxSplitBytes) {
    Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
    conf.setBoolean(FileInputFormat.INPUT_DIR_RECURSIVE, true);
    if (maxSplitBytes > 0) {
      conf.setLong(FileInputFormat.SPLIT_MAXSIZE, maxSplitBytes);
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaNewHadoopRDD<LongWritable, Text> records =
        (JavaNewHadoopRDD<LongWritable, Text>)
            jsc.newAPIHadoopFile(
                path.toString(), TextInputFormat.class, LongWritable.class, Text.class, conf);
    long[] firstLines;
    if (everySplitStartsAFile(records)) {
      // One split per file (gzip, or files below the split size): every split starts at line 1.
      firstLines = new long[records.getNumPartitions()];
      Arrays.fill(firstLines, 1L);
    } else {
      List<SplitLines> counts =
          new ReadFailures.Guarded<>(records.rdd(), new CountLines(), SplitLines.class)
              .toJavaRDD()
              .collect();
      failOnFirstError(counts);
      firstLines = firstLineNumbers(counts, records.getNumPartitions());
    }
    JavaRDD<Row> rows =
        new ReadFailures.Guarded<>(
                records.rdd(), new ParseLines(parser, firstLines, skipHeader), Row.class)
            .toJavaRDD();
    return spark.createDataFrame(rows, ParsedLines.SCHEMA);
  }

  /**
   * The count pass's first failure (by file, then position): O(#splits) records, already on the
   * driver.
   */
  private static void failOnFirstError(List<SplitLines> counts) {
    counts.stream()
        .filter(c -> c.error() != null)
        .min(Comparator.comparing(SplitLines::file).thenComparingLong(SplitLines::start))
        .ifPresent(
            c -> {
              throw new PipelineException(
                  "ingest: "
                      + c.file()
                      + (c.errorLine() == null ? "" : ":" + c.errorLine())
                      + ": "
                      + c.error());
            });
  }

  private static boolean everySplitStartsAFile(JavaNewHadoopRDD<LongWritable, Text> records) {
    for (Partition partition : records.rdd().partitions()) {
      InputSplit split = ((NewHadoopPartition) partition).serializableHadoopSplit().value();
      if (((FileSplit) split).getStart() != 0) {
        return false;
      }
    }
    return true;
  }

  /** First 1-based line number of every partition, from the per-split counts. */
  static long[] firstLineNumbers(List<SplitLines> counts, int partitions) {
    long[] first = new long[partitions];
    Map<String, List<SplitLines>> byFile = new HashMap<>();
    for (SplitLines count : counts) {
      byFile.computeIfAbsent(count.file(), f -> new ArrayList<>()).add(count);
    }
    for (List<SplitLines> splits : byFile.values()) {
      splits.sort(Comparator.comparingLong(SplitLines::start));
      long next = 1;
      for (SplitLines split : splits) {
        first[split.partition()] = next;
        next += split.lines();
      }
    }
    return first;
  }

  private static String fileOf(InputSplit split) {
    return HadoopPaths.display(((FileSplit) split).getPath());
  }

  private static final class CountLines implements ReadFailures.SplitReader<SplitLines> {
    @Override
    public Iterator<SplitLines> read(
        int partition, InputSplit split, Iterator<scala.Tuple2<LongWritable, Text>> records) {
      long lines = 0;
      FileSplit fileSplit = (FileSplit) split;
      try {
        while (records.hasNext()) {
          records.next();
          lines++;
        }
      } catch (Exception e) {
        if (ReadFailures.isTransient(e)) {
          throw ReadFailures.rethrow(e);
        }
        // the line is known only in a split that starts the file
        return List.of(failed(partition, split, e, fileSplit.getStart() == 0 ? lines + 1 : null))
            .iterator();
      }
      return List.of(
              new SplitLines(partition, fileOf(split), fileSplit.getStart(), lines, null, null))
          .iterator();
    }

    @Override
    public SplitLines failedToOpen(int partition, InputSplit split, Exception error) {
      return failed(partition, split, error, null);
    }

    private static SplitLines failed(int partition, InputSplit split, Exception error, Long line) {
      String file = fileOf(split);
      long start = ((FileSplit) split).getStart();
      String reason =
          ReadFailures.reason(file, error)
              + (line == null && start > 0 ? " (in the part from byte " + start + ")" : "");
      return new SplitLines(partition, file, start, 0, reason, line);
    }
  }

  private static final class ParseLines implements ReadFailures.SplitReader<Row> {
    private final LineParser parser;
    private final long[] firstLines;
    private final boolean skipHeader;

    ParseLines(LineParser parser, long[] firstLines, boolean skipHeader) {
      this.parser = parser;
      this.firstLines = firstLines;
      this.skipHeader = skipHeader;
    }

    @Override
    public Row failedToOpen(int partition, InputSplit split, Exception error) {
      String file = fileOf(split);
      return RowFactory.create(
          ParsedLines.READ_FAILED,
          null,
          null,
          null,
          file,
          null,
          ReadFailures.reason(file, error),
          null);
    }

    @Override
    public Iterator<Row> read(
        int partition, InputSplit split, Iterator<scala.Tuple2<LongWritable, Text>> records) {
      String file = fileOf(split);
      long firstLine = firstLines[partition];
      CharsetDecoder decoder =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
      return new ReadFailures.StoppingIterator<scala.Tuple2<LongWritable, Text>, Row>(records) {
        /** The number of the next line to read (the one a failure happened in). */
        long line = firstLine;

        @Override
        Row onFailure(Exception error) {
          return RowFactory.create(
              ParsedLines.READ_FAILED,
              null,
              null,
              null,
              file,
              line,
              ReadFailures.reason(file, error),
              null);
        }

        @Override
        Row convert(scala.Tuple2<LongWritable, Text> record) {
          Row row = parse(record._2(), line);
          line++; // only after the line was read and parsed: a failure names the line it happened
          // in
          return row;
        }

        private Row parse(Text text, long number) {
          if (skipHeader && number == 1) {
            return RowFactory.create(
                ParsedLines.IGNORED, null, null, null, file, number, "header", null);
          }
          String decoded = decode(decoder, text);
          if (decoded == null) {
            return rejected(
                file, number, "invalid UTF-8 at byte " + (badByte + 1), text.toString());
          }
          if (number == 1 && !decoded.isEmpty() && decoded.charAt(0) == '\uFEFF') {
            decoded = decoded.substring(1); // a byte order mark is not part of the first field
          }
          ParsedLine parsed = parser.parse(decoded);
          return switch (parsed.status()) {
            case TRIPLE ->
                RowFactory.create(
                    ParsedLines.TRIPLE,
                    parsed.head(),
                    parsed.relation(),
                    parsed.tail(),
                    file,
                    number,
                    null,
                    null);
            case REJECTED -> rejected(file, number, parsed.reason(), decoded);
            case IGNORED ->
                RowFactory.create(ParsedLines.IGNORED, null, null, null, file, number, null, null);
            case LITERAL_DROPPED ->
                RowFactory.create(
                    ParsedLines.LITERAL_DROPPED, null, null, null, file, number, null, null);
          };
        }

        int badByte;

        /** Strict UTF-8 decoding; null (and badByte set) on malformed input. */
        private String decode(CharsetDecoder strict, Text text) {
          ByteBuffer in = ByteBuffer.wrap(text.getBytes(), 0, text.getLength());
          CharBuffer out = CharBuffer.allocate(text.getLength());
          strict.reset();
          CoderResult result = strict.decode(in, out, true);
          if (result.isError()) {
            badByte = in.position();
            return null;
          }
          result = strict.flush(out);
          if (result.isError()) {
            badByte = in.position();
            return null;
          }
          out.flip();
          return out.toString();
        }
      };
    }

    private static Row rejected(String file, long line, String reason, String text) {
      return RowFactory.create(ParsedLines.REJECTED, null, null, null, file, line, reason, text);
    }
  }
}
