package org.sparkkge.jobs.io;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Read-add-replace of one top-level section of a JSON file in DIR (stats.json, metrics.json). */
public final class StatsFile {

  private StatsFile() {}

  /**
   * Sets {@code section} of DIR/{@code file} to {@code value}, writing a temporary file and
   * renaming it.
   */
  public static void putSection(OutputDirectory output, String file, String section, Object value)
      throws IOException {
    FileSystem fs = output.fileSystem();
    Path target = output.resolve(file);
    ObjectNode root = read(fs, target);
    root.set(section, Json.mapper().valueToTree(value));
    write(fs, target, root);
  }

  public static ObjectNode read(FileSystem fs, Path target) throws IOException {
    if (!fs.exists(target)) {
      return Json.mapper().createObjectNode();
    }
    try (InputStream in = fs.open(target)) {
      return (ObjectNode) Json.mapper().readTree(in);
    }
  }

  /** Writes {@code root} to {@code target} through a temporary sibling and a rename. */
  public static void write(FileSystem fs, Path target, Object root) throws IOException {
    Path temporary =
        new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    try (OutputStream out = fs.create(temporary, true)) {
      out.write(Json.mapper().writeValueAsBytes(root));
      out.write('\n');
    }
    if (fs.exists(target) && !fs.delete(target, false)) {
      throw new IOException("cannot replace " + target);
    }
    if (!fs.rename(temporary, target)) {
      throw new IOException("cannot rename " + temporary + " to " + target);
    }
  }
}
