package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * stats.json's train_degree_histogram equals a brute-force count over the bundled UMLS training
 * file.
 */
class IngestDegreeHistogramTest {
  @TempDir Path tmp;

  @Test
  void histogramEqualsABruteForceCountOverUmlsTrain() throws Exception {
    Path data = Cli.repoRoot().resolve("data/umls");
    Path out = tmp.resolve("out");
    Cli.ingest(data, out);
    JsonNode stats = Files2.json(out.resolve("stats.json"));

    // Brute force: degree = head + tail occurrences over the distinct training triples.
    Set<String> triples = new LinkedHashSet<>();
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(data.resolve("train.txt.gz"))),
                StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.isEmpty()) {
          triples.add(line);
        }
      }
    }
    Map<String, Long> degree = new HashMap<>();
    for (String triple : triples) {
      String[] fields = triple.split("\t", -1);
      assertEquals(3, fields.length, triple);
      degree.merge(fields[0], 1L, Long::sum);
      degree.merge(fields[2], 1L, Long::sum);
    }
    long maxDegree = degree.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    List<List<Long>> expected = new ArrayList<>();
    for (long from = 1; from <= maxDegree; from *= 2) {
      long to = 2 * from - 1;
      long lo = from;
      long entities = degree.values().stream().filter(d -> d >= lo && d <= to).count();
      expected.add(List.of(from, to, entities));
    }

    JsonNode histogram = stats.get("train_degree_histogram");
    assertTrue(histogram != null && histogram.isArray(), stats.toString());
    List<List<Long>> actual = new ArrayList<>();
    long sum = 0;
    for (JsonNode bucket : histogram) {
      actual.add(
          List.of(
              bucket.get("from").asLong(),
              bucket.get("to").asLong(),
              bucket.get("entities").asLong()));
      sum += bucket.get("entities").asLong();
    }
    assertEquals(expected, actual);
    assertEquals(List.of(1L, 1L), actual.get(0).subList(0, 2), "bins start at degree 1");
    assertEquals(List.of(2L, 3L), actual.get(1).subList(0, 2));

    // Every entity with degree >= 1 is in exactly one bin; degree-0 (valid/test only) entities are
    // not.
    assertEquals(degree.size(), sum);
    assertEquals(stats.get("train_degree").get("entities").asLong(), sum);
    assertEquals(
        stats.get("entities").asLong() - stats.get("unseen_entities").get("entities").asLong(),
        sum);
    assertEquals(maxDegree, stats.get("train_degree").get("max").asLong());
  }
}
