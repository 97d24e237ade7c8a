package org.sparkkge.jobs.ingest;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.NewHadoopPartition;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.sparkkge.jobs.io.HadoopPaths;

/**
 * Reads text triples (plain or compressed, a file or a directory of parts) with Hadoop's
 * TextInputFormat so every record knows its file and 1-based line number without a driver-side
 * scan: one pass counts the lines of every input split (O(#splits) numbers reach the driver), a
 * prefix sum per file gives each split's first line number, and the parsing pass numbers its lines
 * from there. Invalid UTF-8 is detected on the raw bytes, before decoding.
 */
public final class TextTripleSource {
  private TextTripleSource() {}

  /** Line count of one input split. */
  record SplitLines(int partition, String file, long start, long lines) implements Serializable {}

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
            jsc.newAPIHadoopFile(path.toString(), TextInputFormat.class, LongWritable.class, Text.class, conf);
    long[] firstLines;
    if (everySplitStartsAFile(records)) {
      // One split per file (gzip, or files below the split size): every split starts at line 1.
      firstLines = new long[records.getNumPartitions()];
      java.util.Arrays.fill(firstLines, 1L);
    } else {
      List<SplitLines> counts = records.mapPartitionsWithInputSplit(new CountLines(), false).collect();
      firstLines = firstLineNumbers(counts, records.getNumPartitions());
    }
    JavaRDD<Row> rows = records.mapPartitionsWithInputSplit(new ParseLines(parser, firstLines, skipHeader), false);
    return spark.createDataFrame(rows, ParsedLines.SCHEMA);
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

  private static final class CountLines
      implements Function2<InputSplit, Iterator<scala.Tuple2<LongWritable, Text>>, Iterator<SplitLines>> {
    @Override
    public Iterator<SplitLines> call(InputSplit split, Iterator<scala.Tuple2<LongWritable, Text>> records) {
      long lines = 0;
      while (records.hasNext()) {
        records.next();
        lines++;
      }
      FileSplit fileSplit = (FileSplit) split;
      return List.of(
              new SplitLines(TaskContext.getPartitionId(), fileOf(split), fileSplit.getStart(), lines))
          .iterator();
    }
  }

  private static final class ParseLines
      implements Function2<InputSplit, Iterator<scala.Tuple2<LongWritable, Text>>, Iterator<Row>> {
    private final LineParser parser;
    private final long[] firstLines;
    private final boolean skipHeader;

    ParseLines(LineParser parser, long[] firstLines, boolean skipHeader) {
      this.parser = parser;
      this.firstLines = firstLines;
      this.skipHeader = skipHeader;
    }

    @Override
    public Iterator<Row> call(InputSplit split, Iterator<scala.Tuple2<LongWritable, Text>> records) {
      String file = fileOf(split);
      long firstLine = firstLines[TaskContext.getPartitionId()];
      CharsetDecoder decoder =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT);
      return new Iterator<>() {
        long line = firstLine;

        @Override
        public boolean hasNext() {
          return records.hasNext();
        }

        @Override
        public Row next() {
          Text text = records.next()._2();
          long number = line++;
          if (skipHeader && number == 1) {
            return RowFactory.create(ParsedLines.IGNORED, null, null, null, file, number, "header", null);
          }
          String decoded = decode(decoder, text);
          if (decoded == null) {
            return rejected(file, number, "invalid UTF-8 at byte " + (badByte + 1), text.toString());
          }
          if (number == 1 && !decoded.isEmpty() && decoded.charAt(0) == '\uFEFF') {
            decoded = decoded.substring(1); // a byte order mark is not part of the first field
          }
          ParsedLine parsed = parser.parse(decoded);
          return switch (parsed.status()) {
            case TRIPLE -> RowFactory.create(
                ParsedLines.TRIPLE, parsed.head(), parsed.relation(), parsed.tail(), null, null, null, null);
            case REJECTED -> rejected(file, number, parsed.reason(), decoded);
            case IGNORED -> RowFactory.create(ParsedLines.IGNORED, null, null, null, file, number, null, null);
            case LITERAL_DROPPED -> RowFactory.create(
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
