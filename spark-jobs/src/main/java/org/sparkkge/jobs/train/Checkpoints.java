package org.sparkkge.jobs.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkkge.jobs.io.Json;
import org.sparkkge.jobs.io.Layout;
import org.sparkkge.jobs.io.OutputDirectory;

/**
 * Per-round checkpoints under DIR/model/checkpoints/round-NNNNN/ (round-00000 = the initial
 * parameters): {@code entities/} (shallow entity table), {@code shared/} (relations, encoder),
 * {@code round.json} (round metadata), and {@code _COMPLETE}, written last. A directory without
 * _COMPLETE is a crash leftover: ignored by {@link #latestComplete()} and replaced when rewritten.
 */
public final class Checkpoints {

  private final OutputDirectory output;
  private final FileSystem fs;

  public Checkpoints(OutputDirectory output) {
    this.output = output;
    this.fs = output.fileSystem();
  }

  public Path root() {
    return output.resolve(Layout.CHECKPOINTS);
  }

  public Path round(int round) {
    return output.resolve(Layout.checkpoint(round));
  }

  public String entities(int round) {
    return new Path(round(round), Layout.MODEL_ENTITIES).toString();
  }

  public String shared(int round) {
    return new Path(round(round), Layout.MODEL_SHARED).toString();
  }

  /** The highest round with a _COMPLETE marker. */
  public OptionalInt latestComplete() throws IOException {
    if (!fs.exists(root())) {
      return OptionalInt.empty();
    }
    int best = -1;
    for (FileStatus status : fs.listStatus(root())) {
      int round = Layout.checkpointRound(status.getPath().getName());
      if (status.isDirectory()
          && round >= 0
          && fs.exists(new Path(status.getPath(), Layout.ROUND_COMPLETE))) {
        best = Math.max(best, round);
      }
    }
    return best < 0 ? OptionalInt.empty() : OptionalInt.of(best);
  }

  public boolean anyExist() throws IOException {
    return fs.exists(root()) && fs.listStatus(root()).length > 0;
  }

  public void deleteAll() throws IOException {
    if (fs.exists(root()) && !fs.delete(root(), true)) {
      throw new IOException("cannot delete " + root());
    }
  }

  /** Removes a leftover incomplete directory of this round before it is written again. */
  public void prepare(int round) throws IOException {
    Path dir = round(round);
    if (fs.exists(dir) && !fs.delete(dir, true)) {
      throw new IOException("cannot delete the incomplete checkpoint " + dir);
    }
  }

  /** Writes round.json, then _COMPLETE: the checkpoint counts from this moment on. */
  public void complete(int round, Map<String, Object> metadata) throws IOException {
    Path dir = round(round);
    try (OutputStream out = fs.create(new Path(dir, Layout.ROUND_METADATA), true)) {
      out.write(Json.mapper().writeValueAsBytes(metadata));
    }
    fs.create(new Path(dir, Layout.ROUND_COMPLETE), true).close();
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> metadata(int round) throws IOException {
    try (InputStream in = fs.open(new Path(round(round), Layout.ROUND_METADATA))) {
      return Json.mapper().readValue(in, Map.class);
    }
  }
}
