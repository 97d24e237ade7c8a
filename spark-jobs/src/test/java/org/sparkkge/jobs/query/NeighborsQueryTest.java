package org.sparkkge.jobs.query;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.jobs.PipelineException;

/**
 * ExportedEmbeddings on Spark-written synthetic exports: planted answers and brute-force rankings,
 * every model.
 */
class NeighborsQueryTest {
  static final List<String> MODELS =
      List.of("transe_l1", "transe_l2", "distmult", "complex", "rotate");
  @TempDir static Path tmp;
  static final Map<String, SyntheticExport> EXPORTS = new LinkedHashMap<>();

  @BeforeAll
  static void writeExports() {
    long seed = 11;
    for (String model : MODELS) {
      EXPORTS.put(model, SyntheticExport.write(tmp.resolve(model), model, 8, seed++));
    }
  }

  private static ExportedEmbeddings load(String model) {
    return ExportedEmbeddings.load(EXPORTS.get(model).dir.toString());
  }

  private static void assertSameHits(List<Hit> expected, List<Hit> actual, String what) {
    assertEquals(
        expected.stream().map(Hit::name).toList(), actual.stream().map(Hit::name).toList(), what);
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i).id(), actual.get(i).id(), what);
      assertEquals(expected.get(i).score(), actual.get(i).score(), 1e-9, what + " rank " + (i + 1));
    }
  }

  @Test
  void readsModelEmbeddingsAndPropertiesFromTheParquetFiles() {
    for (String model : MODELS) {
      SyntheticExport export = EXPORTS.get(model);
      ExportedEmbeddings embeddings = load(model);
      assertEquals(model, embeddings.model());
      assertEquals(8, embeddings.dim());
      assertEquals(SyntheticExport.ENTITIES, embeddings.entityCount());
      for (int e = 0; e < SyntheticExport.ENTITIES; e++) {
        assertArrayEquals(
            export.entities[e], embeddings.entityEmbedding(SyntheticExport.entityName(e)));
        assertEquals(export.coreNumbers[e], embeddings.coreNumber("#" + e));
      }
      assertEquals("propagated", embeddings.source("e10"));
      assertEquals("trained", embeddings.source("e00"));
    }
  }

  @Test
  void plantedAnswersComeFirst() {
    for (String model : MODELS) {
      List<Hit> neighbors = load(model).nearestNeighbors("e00", 3);
      assertEquals(
          List.of("e01", "e02"), neighbors.subList(0, 2).stream().map(Hit::name).toList(), model);
      assertEquals(1.0, neighbors.get(0).score(), 1e-6);
    }
    for (String model : List.of("transe_l1", "transe_l2")) {
      Hit best = load(model).predictTails("e03", "r0", 1).get(0);
      assertEquals("e05", best.name(), model);
      assertEquals(0.0, best.score(), 1e-5, model + ": e05 = e03 + r0 exactly");
    }
    // the zero vector: similarity 0 to everything, ties in id order
    assertEquals(
        List.of("e00", "e01", "e02"),
        load("distmult").nearestNeighbors("e11", 3).stream().map(Hit::name).toList());
  }

  @Test
  void rankingsEqualBruteForceForEveryQuery() {
    for (String model : MODELS) {
      SyntheticExport export = EXPORTS.get(model);
      ExportedEmbeddings embeddings = load(model);
      for (int e = 0; e < SyntheticExport.ENTITIES; e++) {
        assertSameHits(
            BruteForce.neighbors(export, e, 5),
            embeddings.nearestNeighbors(SyntheticExport.entityName(e), 5),
            model + " neighbours of e" + e);
        for (int r = 0; r < SyntheticExport.RELATIONS; r++) {
          assertSameHits(
              BruteForce.tails(export, e, r, 5),
              embeddings.predictTails(SyntheticExport.entityName(e), "#" + r, 5),
              model + " (e" + e + ", r" + r + ", ?)");
        }
      }
      // a top-n larger than the graph returns every candidate
      assertEquals(SyntheticExport.ENTITIES, embeddings.predictTails("e00", "r1", 100).size());
    }
  }

  @Test
  void unknownNamesAndMissingFilesAreClearErrors() {
    ExportedEmbeddings embeddings = load("distmult");
    PipelineException entity =
        assertThrows(PipelineException.class, () -> embeddings.nearestNeighbors("nobody", 3));
    assertTrue(
        entity.getMessage().contains("no entity 'nobody' in ")
            && entity.getMessage().endsWith("entity_embeddings"),
        entity.getMessage());
    PipelineException relation =
        assertThrows(PipelineException.class, () -> embeddings.predictTails("e00", "r9", 3));
    assertTrue(relation.getMessage().contains("no relation 'r9' in "), relation.getMessage());
    PipelineException missing =
        assertThrows(
            PipelineException.class,
            () -> ExportedEmbeddings.load(tmp.resolve("nothing-here").toString()));
    assertTrue(
        missing.getMessage().contains("model.json not found: run the export stage first"),
        missing.getMessage());
  }
}
