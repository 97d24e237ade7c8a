package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad-input case fails with "ingest: FILE:LINE: REASON", or is written to rejects with skip. */
class BadInputTest {
  @TempDir Path tmp;

  private Cli.Result ingest(Path train, String... extra) {
    List<String> args = new ArrayList<>(List.of("ingest", "--train", train.toString(), "--output", tmp.resolve("out").toString()));
    args.addAll(List.of(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  private void assertFails(Cli.Result result, String message) {
    assertEquals(1, result.exitCode(), result.toString());
    assertTrue(result.err().contains(message + "\n"), "expected <" + message + ">\n" + result);
    assertFalse(Files.exists(tmp.resolve("out")), "a failed ingest must not leave an output directory");
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
        ingest(train, "--set", "ingest.format=csv", "--set", "ingest.header=true", "--set", "ingest.columns=[tail,relation,head]"),
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
    assertFails(ingest(train), "ingest: " + train + ": no triples in the training input (empty input)");
  }

  @Test
  void emptyDirectoryIsEmptyInput() throws Exception {
    Path train = Files.createDirectories(tmp.resolve("parts"));
    assertFails(ingest(train), "ingest: " + train + ": no triples in the training input (empty input)");
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
    assertFails(ingest(train, "--valid", valid.toString()), "ingest: " + valid + ":4: expected 3 fields, found 1");
  }

  /** Line numbers stay exact when a file is split over several tasks; the first bad line wins. */
  @Test
  void lineNumbersAcrossSplitsAndParts() {
    StringBuilder big = new StringBuilder();
    for (int line = 1; line <= 20_000; line++) {
      big.append(line == 9_000 || line == 15_000 ? "bad line" : "e" + line + "\tr" + (line % 7) + "\te" + (line + 1)).append('\n');
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
    assertTrue(result.out().contains("ingest: 4 rejected lines written to rejects/ (json)"), result.toString());

    Path out = tmp.resolve("out");
    List<JsonNode> rejects = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Files.list(out.resolve("rejects"))) {
      for (Path part : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
        for (String line : Files.readAllLines(part)) {
          rejects.add(json.readTree(line));
        }
      }
    }
    rejects.sort((x, y) -> (x.get("split").asText() + x.get("line").asLong()).compareTo(y.get("split").asText() + y.get("line").asLong()));
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

  private static void assertReject(JsonNode reject, String split, Path file, long line, String reason, String text) {
    assertEquals(split, reject.get("split").asText(), reject.toString());
    assertEquals(file.toString(), reject.get("file").asText(), reject.toString());
    assertEquals(line, reject.get("line").asLong(), reject.toString());
    assertEquals(reason, reject.get("reason").asText(), reject.toString());
    assertEquals(text, reject.get("text").asText(), reject.toString());
  }
}
