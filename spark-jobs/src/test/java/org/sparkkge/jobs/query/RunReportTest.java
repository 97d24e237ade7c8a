package org.sparkkge.jobs.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.PipelineException;

/**
 * report.html opened in headless Chromium (Debian's chromium; bin/test installs it): the charts are
 * drawn from the run's stats.json and the metrics table holds exactly the numbers of metrics.json.
 */
class RunReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  /**
   * stats.json in the shape the stages write (ingest top level; reduce, partition, train sections).
   */
  private static final String STATS =
      """
      {"splits": {"train": {"triples": 5216}}, "entities": 135, "relations": 46,
       "train_degree": {"entities": 135, "min": 1, "max": 611, "mean": 77.27, "median": 50, "p90": 178, "p99": 512},
       "train_degree_histogram": [{"from": 1, "to": 1, "entities": 0}, {"from": 2, "to": 3, "entities": 8},
         {"from": 4, "to": 7, "entities": 9}, {"from": 8, "to": 15, "entities": 14}, {"from": 16, "to": 31, "entities": 22},
         {"from": 32, "to": 63, "entities": 30}, {"from": 64, "to": 127, "entities": 28}, {"from": 128, "to": 255, "entities": 15},
         {"from": 256, "to": 511, "entities": 6}, {"from": 512, "to": 1023, "entities": 3}],
       "unseen_entities": {"entities": 2, "valid_triples": 1, "test_triples": 1},
       "reduce": {"k": 2, "entities": 135, "triples": 5216, "max_core_number": 4,
                  "per_k": [{"k": 1, "entities": 135, "triples": 5216}, {"k": 2, "entities": 120, "triples": 5000},
                            {"k": 3, "entities": 90, "triples": 4100}, {"k": 4, "entities": 41, "triples": 1900}]},
       "partition": {"strategy": "random", "shards": 3, "balance": 1.013, "shard_sizes": [1702, 1760, 1754]},
       "train": {"rounds": 4, "round_mean_loss": [0.693, 0.41, 0.305, 0.2571], "round_valid_mrr": [0.21, 0.38, 0.52, 0.61]}}
      """;

  private static final String METRICS =
      """
      {"filtered": {"overall": {"mrr": 0.6123, "hits@1": 0.48, "hits@3": 0.7, "hits@10": 0.912, "mean_rank": 6.25, "triples": 661},
                    "per_relation": {"isa": {"mrr": 0.7, "hits@10": 0.95}, "affects": {"mrr": 0.5, "hits@10": 0.88}}},
       "model": "distmult", "dim": 200}
      """;

  /** The DOM after the page's scripts ran. */
  static String chromiumDom(Path html) throws Exception {
    Process p;
    try {
      p =
          new ProcessBuilder(
                  "chromium",
                  "--headless",
                  "--no-sandbox",
                  "--disable-gpu",
                  "--dump-dom",
                  html.toUri().toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      return fail(
          "chromium is not installed: apt-get install chromium (bin/test installs it when missing): "
              + e.getMessage());
    }
    String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "chromium timed out");
    assertEquals(0, p.exitValue(), dom);
    return dom;
  }

  static List<Double> pointValues(String dom, String sectionId) {
    Matcher section =
        Pattern.compile("<div id=\"" + sectionId + "\">(.*?)</div>", Pattern.DOTALL).matcher(dom);
    assertTrue(section.find(), "no section " + sectionId);
    List<Double> values = new ArrayList<>();
    Matcher point =
        Pattern.compile("class=\"point\"[^>]*data-value=\"([^\"]+)\"").matcher(section.group(1));
    while (point.find()) {
      values.add(Double.parseDouble(point.group(1)));
    }
    return values;
  }

  @Test
  void chartsRenderInChromiumAndTheMetricsTableEqualsMetricsJson() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Files.writeString(run.resolve("stats.json"), STATS);
    Files.writeString(run.resolve("metrics.json"), METRICS);
    RunReport.write(run.toString(), new Configuration());
    Path html = run.resolve("report.html");
    String file = Files.readString(html);
    // self-contained: nothing to load (the SVG namespace URI is a name, not a fetch)
    assertFalse(
        Pattern.compile("(src|href)\\s*=", Pattern.CASE_INSENSITIVE).matcher(file).find(),
        "no external resources");
    assertFalse(
        file.replace("http://www.w3.org/2000/svg", "").matches("(?s).*https?://.*"), "no URLs");

    String dom = chromiumDom(html);
    assertTrue(
        dom.contains("<body data-charts=\"5\""),
        "five charts drawn:\n" + dom.substring(0, Math.min(600, dom.length())));
    assertEquals(List.of(0.693, 0.41, 0.305, 0.2571), pointValues(dom, "loss"));
    assertEquals(List.of(0.21, 0.38, 0.52, 0.61), pointValues(dom, "mrr"));
    assertDegreeHistogram(dom);
    assertEquals(List.of(135.0, 120.0, 90.0, 41.0), pointValues(dom, "kcore"));
    assertEquals(List.of(1702.0, 1760.0, 1754.0), pointValues(dom, "shards"));
    assertTrue(dom.contains("Balance (largest shard / mean): 1.013"));

    Map<String, Double> expected = new LinkedHashMap<>();
    expected.putAll(NumericLeaves.of(JSON.readTree(METRICS)));
    Map<String, Double> shown = new LinkedHashMap<>();
    Matcher cell =
        Pattern.compile("<td class=\"num\" data-key=\"([^\"]+)\">([^<]+)</td>").matcher(dom);
    while (cell.find()) {
      shown.put(cell.group(1), Double.parseDouble(cell.group(2)));
    }
    assertEquals(expected, shown);
    assertEquals(11, shown.size()); // 6 overall + 4 per relation + dim
  }

  private static String section(String dom, String sectionId) {
    Matcher section =
        Pattern.compile("<div id=\"" + sectionId + "\">(.*?)</div>", Pattern.DOTALL).matcher(dom);
    assertTrue(section.find(), "no section " + sectionId);
    return section.group(1);
  }

  /**
   * The degree chart: one bar per histogram bin with its entities, bin labels, log scale, summary
   * line.
   */
  private static void assertDegreeHistogram(String dom) {
    List<Double> entities = List.of(0.0, 8.0, 9.0, 14.0, 22.0, 30.0, 28.0, 15.0, 6.0, 3.0);
    assertEquals(entities, pointValues(dom, "degree"));
    String degree = section(dom, "degree");
    assertTrue(
        degree.contains("data-kind=\"bar\"") && degree.contains("data-scale=\"log\""), degree);
    List<String> labels = new ArrayList<>();
    Matcher label =
        Pattern.compile("<text x=\"[^\"]+\" y=\"[^\"]+\" text-anchor=\"middle\">([^<]+)</text>")
            .matcher(degree);
    while (label.find()) {
      labels.add(label.group(1));
    }
    assertEquals(
        List.of(
            "1",
            "2-3",
            "4-7",
            "8-15",
            "16-31",
            "32-63",
            "64-127",
            "128-255",
            "256-511",
            "512-1023"),
        labels);
    // bar heights follow the counts (log scale: monotone, an empty bin has no bar, a bin of 1 would
    // still show)
    Matcher bar =
        Pattern.compile("class=\"point\"[^>]*height=\"([^\"]+)\"[^>]*data-value=\"([^\"]+)\"")
            .matcher(degree);
    Map<Double, Double> heightByCount = new TreeMap<>();
    while (bar.find()) {
      heightByCount.put(Double.parseDouble(bar.group(2)), Double.parseDouble(bar.group(1)));
    }
    assertEquals(0.0, heightByCount.get(0.0), 1e-9);
    double previous = 0;
    for (Map.Entry<Double, Double> e : heightByCount.entrySet()) {
      if (e.getKey() > 0) {
        assertTrue(e.getValue() > previous, "taller bar for more entities: " + heightByCount);
        previous = e.getValue();
      }
    }
    assertTrue(
        degree.contains(
            "<p id=\"degree-summary\" class=\"summary\">Degree min 1, median 50, mean 77.27, p90 178, p99 512, max 611"
                + " (median and percentiles approximate). Entities seen only in valid/test (degree 0) are not in the histogram: 2.</p>"),
        degree);
  }

  @Test
  void roundsWithoutValidationAreLeftOutOfTheValidationChart() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("every-2"));
    Files.writeString(
        run.resolve("stats.json"),
        """
        {"train": {"round_mean_loss": [0.7, 0.5, 0.4, 0.35, 0.3],
                   "round_valid_mrr": [null, 0.4123, null, 0.5871, 0.6002]}}
        """);
    RunReport.write(run.toString(), new Configuration());
    String dom = chromiumDom(run.resolve("report.html"));
    assertTrue(dom.contains("<body data-charts=\"2\""), dom);
    assertEquals(List.of(0.7, 0.5, 0.4, 0.35, 0.3), pointValues(dom, "loss"));
    assertEquals(List.of(0.4123, 0.5871, 0.6002), pointValues(dom, "mrr"));
    Matcher section = Pattern.compile("<div id=\"mrr\">(.*?)</div>", Pattern.DOTALL).matcher(dom);
    assertTrue(section.find());
    List<String> labels = new ArrayList<>();
    Matcher label =
        Pattern.compile("<text x=\"[^\"]+\" y=\"[^\"]+\" text-anchor=\"middle\">(\\d+)</text>")
            .matcher(section.group(1));
    while (label.find()) {
      labels.add(label.group(1));
    }
    assertEquals(List.of("2", "4", "5"), labels, "x labels are the validated rounds");
  }

  @Test
  void aRunWithOnlyIngestSaysWhatIsMissing() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("ingest-only"));
    Files.writeString(
        run.resolve("stats.json"),
        "{\"entities\": 3, \"train_degree\": {\"min\": 1, \"median\": 2, \"max\": 4}}");
    RunReport.write(run.toString(), new Configuration());
    String dom = chromiumDom(run.resolve("report.html"));
    assertTrue(dom.contains("<body data-charts=\"1\""), dom);
    // an older stats.json without train_degree_histogram: the summary figures as bars, as before
    assertEquals(List.of(1.0, 2.0, 4.0), pointValues(dom, "degree"));
    assertTrue(section(dom, "degree").contains("data-scale=\"linear\""));
    assertFalse(section(dom, "degree").contains("degree-summary"));
    for (String reason :
        List.of(
            "train stage: round_mean_loss",
            "reduce stage: per_k",
            "partition stage: shard_sizes",
            "metrics.json: export/evaluate stages")) {
      assertTrue(dom.contains("Not recorded in this run (" + reason + ")."), reason);
    }
  }

  @Test
  void missingStatsIsAClearError() {
    PipelineException e =
        Assertions.assertThrows(
            PipelineException.class,
            () -> RunReport.write(tmp.resolve("empty").toString(), new Configuration()));
    assertTrue(
        e.getMessage().contains("stats.json not found (run at least the ingest stage)"),
        e.getMessage());
  }
}
