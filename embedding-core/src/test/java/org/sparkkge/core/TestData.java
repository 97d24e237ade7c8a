package org.sparkkge.core;

import java.nio.file.Files;
import java.nio.file.Path;
import org.sparkkge.core.data.KgDataset;

/**
 * Locates the bundled tiny datasets (data/NAME) and the shared real ones; fails loudly when
 * missing.
 */
public final class TestData {
  private TestData() {}

  public static Path repoRoot() {
    String root = System.getProperty("kge.repo.root");
    if (root == null) {
      throw new IllegalStateException(
          "system property kge.repo.root is not set (Surefire sets it to the repo root)");
    }
    return Path.of(root);
  }

  public static KgDataset bundled(String name) {
    Path dir = repoRoot().resolve("data").resolve(name);
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("bundled dataset folder missing: " + dir.toAbsolutePath());
    }
    return KgDataset.load(dir);
  }
}
