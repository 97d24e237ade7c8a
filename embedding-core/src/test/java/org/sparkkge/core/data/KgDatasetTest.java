package org.sparkkge.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkkge.core.TestData;

class KgDatasetTest {
  @Test
  void loadsBundledUmlsWithPublishedCounts() {
    KgDataset umls = TestData.bundled("umls");
    assertEquals(5216, umls.train().size());
    assertEquals(652, umls.valid().size());
    assertEquals(661, umls.test().size());
    assertEquals(135, umls.numEntities());
    assertEquals(46, umls.numRelations());
  }

  @Test
  void assignsIdsInOrderOfFirstAppearanceAndNamesBadLines(@TempDir Path dir) throws Exception {
    write(dir.resolve("train.txt.gz"), "a\tr\tb\nb\ts\tc\n");
    write(dir.resolve("valid.txt.gz"), "c\tr\td\n");
    write(dir.resolve("test.txt.gz"), "a\ts\td\n");
    KgDataset ds = KgDataset.load(dir);
    assertEquals(List.of("a", "b", "c", "d"), ds.entityNames());
    assertEquals(List.of("r", "s"), ds.relationNames());
    assertEquals(1, ds.train().heads()[1]);
    assertEquals(3, ds.test().tails()[0]);

    write(dir.resolve("valid.txt.gz"), "c\tr\td\nc\tr\n");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> KgDataset.load(dir));
    assertTrue(
        e.getMessage()
            .contains("valid.txt.gz:2: expected head<TAB>relation<TAB>tail, got 2 field(s)"),
        e.getMessage());
  }

  private static void write(Path file, String text) throws Exception {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
