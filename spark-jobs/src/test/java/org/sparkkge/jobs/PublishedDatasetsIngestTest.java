package org.sparkkge.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published benchmark counts come out of bin/spark-kge ingest, and the Parquet output reads
 * back identically in DuckDB (a reader other than Spark).
 */
class PublishedDatasetsIngestTest {
  @TempDir Path tmp;

  @Test
  void fb15k237() throws Exception {
    check("fb15k-237", 272_115, 17_535, 20_466, 14_541, 237, 37);
  }

  @Test
  void wn18rr() throws Exception {
    check("wn18rr", 86_835, 3_034, 3_134, 40_943, 11, 420);
  }

  private void check(
      String name,
      long train,
      long valid,
      long test,
      long entities,
      long relations,
      long heldOutMentioningUnseen)
      throws Exception {
    Path data = Cli.dataset(name);
    Path out = tmp.resolve(name);
    Cli.ingest(data, out);
    assertTrue(Files.exists(out.resolve("_SUCCESS")));

    JsonNode stats = Files2.json(out.resolve("stats.json"));
    assertEquals(train, stats.get("splits").get("train").get("triples").asLong());
    assertEquals(valid, stats.get("splits").get("valid").get("triples").asLong());
    assertEquals(test, stats.get("splits").get("test").get("triples").asLong());
    assertEquals(entities, stats.get("entities").asLong());
    assertEquals(relations, stats.get("relations").asLong());
    for (String split : new String[] {"train", "valid", "test"}) {
      assertEquals(0, stats.get("splits").get(split).get("duplicates_removed").asLong());
      assertEquals(0, stats.get("splits").get(split).get("rejected").asLong());
    }
    JsonNode unseen = stats.get("unseen_entities");
    assertEquals(
        heldOutMentioningUnseen,
        unseen.get("valid_triples").asLong() + unseen.get("test_triples").asLong(),
        unseen.toString());
    JsonNode degree = stats.get("train_degree");
    assertEquals(
        entities - unseen.get("entities").asLong(),
        degree.get("entities").asLong(),
        degree.toString());
    assertEquals(
        2.0 * train / degree.get("entities").asLong(), degree.get("mean").asDouble(), 1e-9);

    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement sql = duck.createStatement()) {
      String ents = parquet(out, "entities");
      String rels = parquet(out, "relations");
      assertEquals(train, single(sql, "SELECT count(*) FROM " + parquet(out, "triples/train")));
      assertEquals(valid, single(sql, "SELECT count(*) FROM " + parquet(out, "triples/valid")));
      assertEquals(test, single(sql, "SELECT count(*) FROM " + parquet(out, "triples/test")));
      assertEquals(
          entities,
          single(
              sql,
              "SELECT count(DISTINCT id) FROM "
                  + ents
                  + " WHERE id BETWEEN 0 AND "
                  + (entities - 1)));
      assertEquals(entities, single(sql, "SELECT count(DISTINCT name) FROM " + ents));
      assertEquals(
          relations,
          single(
              sql,
              "SELECT count(DISTINCT id) FROM "
                  + rels
                  + " WHERE id BETWEEN 0 AND "
                  + (relations - 1)));
      // ids follow the sorted names
      assertEquals(
          0,
          single(
              sql,
              "SELECT count(*) FROM (SELECT id, row_number() OVER (ORDER BY name) - 1 AS rank FROM "
                  + ents
                  + ") WHERE id <> rank"));
      // no triple refers to an id outside the dictionaries
      assertEquals(
          0,
          single(
              sql,
              "SELECT count(*) FROM "
                  + parquet(out, "triples/test")
                  + " t ANTI JOIN "
                  + ents
                  + " e ON t.head = e.id"));

      String[] first = firstLine(data.resolve("train.txt.gz")).split("\t");
      String join =
          "SELECT count(*) FROM "
              + parquet(out, "triples/train")
              + " t"
              + " JOIN "
              + ents
              + " h ON t.head = h.id JOIN "
              + rels
              + " r ON t.relation = r.id"
              + " JOIN "
              + ents
              + " e ON t.tail = e.id WHERE h.name = ? AND r.name = ? AND e.name = ?";
      try (PreparedStatement spot = duck.prepareStatement(join)) {
        spot.setString(1, first[0]);
        spot.setString(2, first[1]);
        spot.setString(3, first[2]);
        try (ResultSet rows = spot.executeQuery()) {
          rows.next();
          assertEquals(1, rows.getLong(1), "first training line " + String.join(" | ", first));
        }
      }
    }
  }

  private static String parquet(Path out, String dataset) {
    return "read_parquet('" + out.resolve(dataset) + "/*.parquet')";
  }

  private static long single(Statement sql, String query) throws Exception {
    try (ResultSet rows = sql.executeQuery(query)) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static String firstLine(Path gz) throws Exception {
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(gz)), StandardCharsets.UTF_8))) {
      return reader.readLine();
    }
  }
}
