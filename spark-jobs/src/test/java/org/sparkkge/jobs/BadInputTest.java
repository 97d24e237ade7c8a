package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.spark.SparkContext;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad-input case fails with "ingest: FILE:LINE: REASON", or is written to rejects with skip.
 */
class BadInputTest {
  @TempDir Path tmp;

  private Cli.Result ingest(Path train, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "ingest", "--train", train.toString(), "--output", tmp.resolve("out").toString()));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  private void assertFails(Cli.Result result, String message) {
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(result.err().contains(message + "\n"), "expected <" + message + ">\n" + result);
    assertFalse(
        Files.exists(tmp.resolve("out")), "a failed ingest must not leave an output directory");
  }

  @Test
  void wrongFieldCount() {
    Path train = Files2.write(tmp.resolve("train.tsv"), "a\tr\tb\nb\tr\tc\nc\tr\nd\tr\te\tf\n");
    assertFails(ingest(train), "ingest: " + train + ":3: expected 3 fields, found 2");
  }

  @Test
  void emptyField() {
    Path train = Files2.write(tmp.resolve("train.tsv"), "a\tr\tb\nb\t\tc\n");
    assertFails(ingest(train), "ingest: " + train + ":2: empty relation field (field 2)");
  }

  @Test
  void emptyFieldInGzipCsvNamesTheConfiguredColumn() {
    Path train = Files2.write(tmp.resolve("train.csv.gz"), "h,r,t\na,r,b\n\"b,1\",r,\"\"\n");
    assertFails(
        ingest(
            train,
            "--set",
            "ingest.format=csv",
            "--set",
            "ingest.header=true",
            "--set",
            "ingest.columns=[tail,relation,head]"),
        "ingest: " + train + ":3: empty head field (field 3)");
  }

  @Test
  void invalidUtf8() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes("a\tr\tb\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes(new byte[] {'a', '\t', 'r', '\t', (byte) 0xC3, '(', '\n'});
    Path train = Files2.writeBytes(tmp.resolve("train.tsv"), bytes.toByteArray());
    assertFails(ingest(train), "ingest: " + train + ":2: invalid UTF-8 at byte 5");
  }

  @Test
  void emptyInput() {
    Path train = Files2.write(tmp.resolve("train.tsv"), "");
    assertFails(
        ingest(train), "ingest: " + train + ": no triples in the training input (empty input)");
  }

  @Test
  void emptyDirectoryIsEmptyInput() throws Exception {
    Path train = Files.createDirectories(tmp.resolve("parts"));
    assertFails(
        ingest(train), "ingest: " + train + ": no triples in the training input (empty input)");
  }

  @Test
  void allLinesRejectedIsAnError() {
    Path train = Files2.write(tmp.resolve("train.tsv"), "a b c\n");
    assertFails(
        ingest(train, "--set", "ingest.on-error=skip"),
        "ingest: " + train + ": no triples in the training input (all 1 data lines were rejected)");
  }

  @Test
  void badLineInValidNamesTheValidFile() {
    Path train = Files2.write(tmp.resolve("train.tsv"), "a\tr\tb\n");
    Path valid = Files2.write(tmp.resolve("valid.tsv"), "a\tr\tb\n\n\na r b\n");
    assertFails(
        ingest(train, "--valid", valid.toString()),
        "ingest: " + valid + ":4: expected 3 fields, found 1");
  }

  /** Line numbers stay exact when a file is split over several tasks; the first bad line wins. */
  @Test
  void lineNumbersAcrossSplitsAndParts() {
    StringBuilder big = new StringBuilder();
    for (int line = 1; line <= 20_000; line++) {
      big.append(
              line == 9_000 || line == 15_000
                  ? "bad line"
                  : "e" + line + "\tr" + (line % 7) + "\te" + (line + 1))
          .append('\n');
    }
    Path parts = tmp.resolve("parts");
    Files2.write(parts.resolve("part-00000.tsv"), "x\ty\tz\n");
    Path second = Files2.write(parts.resolve("part-00001.tsv"), big.toString());
    Files2.write(parts.resolve("_SUCCESS"), "");
    assertFails(
        ingest(parts, "--set", "ingest.max-split-bytes=16k"),
        "ingest: " + second + ":9000: expected 3 fields, found 1");
  }

  @Test
  void skipPolicyWritesEveryRejectWithItsReason() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes("a\tr\tb\na\tr\tb\nb\tr\n\nc\t\td\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes(new byte[] {'x', '\t', (byte) 0xFF, '\t', 'y', '\n'});
    bytes.writeBytes("c\tr\td\n".getBytes(StandardCharsets.UTF_8));
    Path train = Files2.writeBytes(tmp.resolve("train.tsv"), bytes.toByteArray());
    Path valid = Files2.write(tmp.resolve("valid.tsv"), "a\tr\td\ta\n");
    Cli.Result result = ingest(train, "--valid", valid.toString(), "--set", "ingest.on-error=skip");
    assertEquals(0, result.exitCode(), result.toString());
    assertTrue(
        result.out().contains("ingest: 4 rejected lines written to rejects/ (json)"),
        result.toString());

    Path out = tmp.resolve("out");
    List<JsonNode> rejects = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Files.list(out.resolve("rejects"))) {
      for (Path part :
          files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
        for (String line : Files.readAllLines(part)) {
          rejects.add(json.readTree(line));
        }
      }
    }
    rejects.sort(
        (x, y) ->
            (x.get("split").asText() + x.get("line").asLong())
                .compareTo(y.get("split").asText() + y.get("line").asLong()));
    assertEquals(4, rejects.size(), rejects.toString());
    assertReject(rejects.get(0), "train", train, 3, "expected 3 fields, found 2", "b\tr");
    assertReject(rejects.get(1), "train", train, 5, "empty relation field (field 2)", "c\t\td");
    assertReject(rejects.get(2), "train", train, 6, "invalid UTF-8 at byte 3", "x\t\uFFFD\ty");
    assertReject(rejects.get(3), "valid", valid, 1, "expected 3 fields, found 4", "a\tr\td\ta");

    JsonNode stats = Files2.json(out.resolve("stats.json"));
    assertEquals(4, stats.get("rejected_lines").asLong());
    JsonNode trainStats = stats.get("splits").get("train");
    assertEquals(7, trainStats.get("lines").asLong());
    assertEquals(3, trainStats.get("rejected").asLong());
    assertEquals(1, trainStats.get("ignored_lines").asLong());
    assertEquals(3, trainStats.get("triples_read").asLong());
    assertEquals(1, trainStats.get("duplicates_removed").asLong());
    assertEquals(2, trainStats.get("triples").asLong());
    assertEquals(1, stats.get("splits").get("valid").get("rejected").asLong());
    assertEquals(0, stats.get("splits").get("valid").get("triples").asLong());
  }

  /** Lines a gzip reader gets, complete with their newline, before a truncated stream ends. */
  private static long completeLines(byte[] gzip) throws IOException {
    long lines = 0;
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
      int b;
      while ((b = in.read()) >= 0) {
        lines += b == '\n' ? 1 : 0;
      }
    } catch (EOFException expected) {
      return lines;
    }
    throw new AssertionError("the gzip stream is not truncated");
  }

  /** Runs an ingest and counts its failed task attempts (each would be retried on a cluster). */
  private record Observed(Cli.Result result, int failedTasks) {}

  private Observed ingestObserved(String train, String... extra) {
    SparkContext sc = SharedSpark.get().sparkContext();
    AtomicInteger failed = new AtomicInteger();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            if (!(end.reason() instanceof Success$)) {
              failed.incrementAndGet();
            }
          }
        };
    sc.addSparkListener(listener);
    try {
      List<String> args =
          new ArrayList<>(
              List.of("ingest", "--train", train, "--output", tmp.resolve("out").toString()));
      args.addAll(List.of(extra));
      Cli.Result result = Cli.run(args.toArray(String[]::new));
      sc.listenerBus().waitUntilEmpty(60_000);
      return new Observed(result, failed.get());
    } catch (TimeoutException e) {
      throw new AssertionError("Spark's listener bus did not drain", e);
    } finally {
      sc.removeSparkListener(listener);
    }
  }

  /**
   * The failure is the one line given (exit 1, no output) and nothing else is reported: no stack
   * trace, and no task failed (so a cluster's spark.task.maxFailures = 4 does not read the file
   * four times).
   */
  private void assertReadFailure(Observed observed, String message) {
    assertFails(observed.result(), message);
    String err = observed.result().err();
    assertFalse(
        err.contains("\tat ") || err.contains("Exception in") || err.contains("failed:"), err);
    assertEquals(
        1,
        err.lines()
            .filter(l -> l.contains("cannot read") || l.contains("unexpected error"))
            .count(),
        err);
    assertEquals(0, observed.failedTasks(), "failed task attempts\n" + observed.result());
  }

  @Test
  void truncatedGzip() throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      text.append('e')
          .append(i)
          .append("\tr")
          .append(i % 5)
          .append("\te")
          .append(i + 1)
          .append('\n');
    }
    byte[] gzip = Files.readAllBytes(Files2.write(tmp.resolve("whole.tsv.gz"), text.toString()));
    byte[] truncated = Arrays.copyOf(gzip, gzip.length / 2);
    Path train = Files.write(tmp.resolve("train.tsv.gz"), truncated);
    long line = completeLines(truncated) + 1; // the line being read when the data ended
    assertTrue(line > 1000 && line < 20_000, "truncated in the middle: line " + line);
    assertReadFailure(
        ingestObserved(train.toString()),
        "ingest: "
            + train
            + ":"
            + line
            + ": cannot read: corrupt or truncated compressed file (EOFException: Unexpected end of input stream)");
    // the same with ingest.on-error = skip: an unreadable rest of a file is not a bad line to skip
    assertReadFailure(
        ingestObserved(train.toString(), "--set", "ingest.on-error=skip"),
        "ingest: "
            + train
            + ":"
            + line
            + ": cannot read: corrupt or truncated compressed file (EOFException: Unexpected end of input stream)");
  }

  /** A .gz file that is not gzip data at all fails at its first line. */
  @Test
  void notGzipAtAll() throws Exception {
    Path fake =
        Files.write(tmp.resolve("fake.tsv.gz"), "a\tr\tb\n".getBytes(StandardCharsets.UTF_8));
    Observed observed = ingestObserved(fake.toString());
    String prefix = "ingest: " + fake + ":1: cannot read: corrupt or truncated compressed file (";
    String line =
        observed
            .result()
            .err()
            .lines()
            .filter(l -> l.startsWith(prefix))
            .findFirst()
            .orElseThrow(
                () -> new AssertionError("expected <" + prefix + "...>\n" + observed.result()));
    assertReadFailure(observed, line);
  }

  @Test
  void unreadableFile() {
    FaultyFileSystem.register();
    Path file = Files2.write(tmp.resolve("unreadable-train.tsv"), "a\tr\tb\n");
    assertReadFailure(
        ingestObserved(FaultyFileSystem.uri(file)),
        "ingest: "
            + FaultyFileSystem.display(file)
            + ": cannot read: FileNotFoundException: "
            + file
            + " (Permission denied)");

    // a file read in several splits: the line-count pass meets it first
    StringBuilder big = new StringBuilder();
    for (int line = 1; line <= 5_000; line++) {
      big.append("e").append(line).append("\tr\te").append(line + 1).append('\n');
    }
    Path split = Files2.write(tmp.resolve("unreadable-big.tsv"), big.toString());
    assertReadFailure(
        ingestObserved(FaultyFileSystem.uri(split), "--set", "ingest.max-split-bytes=16k"),
        "ingest: "
            + FaultyFileSystem.display(split)
            + ": cannot read: FileNotFoundException: "
            + split
            + " (Permission denied)");
  }

  /** A read error and an exception in the middle of a file name the line being read. */
  @Test
  void failureWhileReading() {
    FaultyFileSystem.register();
    String lines = "a\tr\tb\nb\tr\tc\nc\tr\td\nd\tr\te\n"; // 6 bytes a line: lines 1 and 2 are read
    Path ioError = Files2.write(tmp.resolve("ioerror.tsv"), lines);
    assertReadFailure(
        ingestObserved(FaultyFileSystem.uri(ioError)),
        "ingest: "
            + FaultyFileSystem.display(ioError)
            + ":3: cannot read: IOException: Input/output error");
    Path bug = Files2.write(tmp.resolve("bug.tsv"), lines);
    assertReadFailure(
        ingestObserved(FaultyFileSystem.uri(bug)),
        "ingest: "
            + FaultyFileSystem.display(bug)
            + ":3: unexpected error while reading: IllegalStateException: decoder bug at byte 12");
  }

  /**
   * A corrupt Parquet file: one line naming it. (Spark SQL reads Parquet in its own tasks, which do
   * fail and would be retried on a cluster: docs/configuration.md says so.)
   */
  @Test
  void corruptParquet() throws Exception {
    Path input = tmp.resolve("train.parquet");
    SharedSpark.get()
        .createDataFrame(
            List.of(RowFactory.create("a", "r", "b")),
            new StructType().add("head", "string").add("relation", "string").add("tail", "string"))
        .coalesce(1)
        .write()
        .parquet(input.toString());
    Path part;
    try (Stream<Path> files = Files.list(input)) {
      part =
          files
              .filter(p -> p.getFileName().toString().endsWith(".parquet"))
              .findFirst()
              .orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(part);
    Files.write(part, Arrays.copyOf(bytes, bytes.length - 10)); // the footer's end is cut off
    Files.deleteIfExists(part.resolveSibling("." + part.getFileName() + ".crc"));
    Cli.Result result = ingest(input);
    String prefix = "ingest: " + part + ": cannot read Parquet: ";
    assertTrue(
        result.err().lines().anyMatch(l -> l.startsWith(prefix)),
        "expected <" + prefix + "...>\n" + result);
    assertFails(result, result.err().lines().filter(l -> l.startsWith(prefix)).findFirst().get());
    assertFalse(result.err().contains("\tat "), result.toString());
  }

  private static void assertReject(
      JsonNode reject, String split, Path file, long line, String reason, String text) {
    assertEquals(split, reject.get("split").asText(), reject.toString());
    assertEquals(file.toString(), reject.get("file").asText(), reject.toString());
    assertEquals(line, reject.get("line").asLong(), reject.toString());
    assertEquals(reason, reject.get("reason").asText(), reject.toString());
    assertEquals(text, reject.get("text").asText(), reject.toString());
  }
}
