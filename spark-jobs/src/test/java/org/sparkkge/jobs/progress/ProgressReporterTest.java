package org.sparkkge.jobs.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.sparkkge.jobs.SharedSpark;

class ProgressReporterTest {
  /** A Spark job of 8 tasks of 400 ms each on 2 cores: long enough for several ticks. */
  private static void slowJob() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SharedSpark.get().sparkContext());
    long sum =
        jsc.parallelize(List.of(1, 2, 3, 4, 5, 6, 7, 8), 8)
            .map(
                x -> {
                  Thread.sleep(400);
                  return x;
                })
            .reduce(Integer::sum);
    assertEquals(36, sum);
  }

  @Test
  void logLinesWhenNotInteractive() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressReporter progress =
            new ProgressReporter(SharedSpark.get().sparkContext(), out, false, 1)) {
      progress.stage("ingest");
      progress.step("counting");
      slowJob();
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(
        Pattern.compile("(?m)^\\d\\d:\\d\\d:\\d\\d ingest: counting$").matcher(text).find(), text);
    assertTrue(
        Pattern.compile(
                "(?m)^\\d\\d:\\d\\d:\\d\\d ingest \\| counting \\| tasks \\d/8 \\| \\d+\\.\\d tasks/s \\| ETA ")
            .matcher(text)
            .find(),
        text);
    assertTrue(!text.contains("\r"), "no terminal control characters in logs");
  }

  @Test
  void oneUpdatingLineOnATerminal() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProgressReporter progress =
            new ProgressReporter(SharedSpark.get().sparkContext(), out, true, 10)) {
      progress.stage("ingest");
      progress.step("counting");
      slowJob();
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("\r\033[Kingest | counting | tasks "), text);
    assertTrue(text.endsWith("\r\033[K"), "the status line is cleared at the end: " + text);
  }

  @Test
  void durations() {
    assertEquals("0s", ProgressReporter.formatSeconds(0.2));
    assertEquals("59s", ProgressReporter.formatSeconds(59));
    assertEquals("2m05s", ProgressReporter.formatSeconds(125));
    assertEquals("3h07m", ProgressReporter.formatSeconds(3 * 3600 + 7 * 60 + 30));
  }
}
