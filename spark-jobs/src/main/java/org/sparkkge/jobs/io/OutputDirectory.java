package org.sparkkge.jobs.io;

import static org.sparkkge.jobs.io.Layout.CONFIG;
import static org.sparkkge.jobs.io.Layout.MANIFEST;
import static org.sparkkge.jobs.io.Layout.SUCCESS;
import static org.sparkkge.jobs.io.Layout.TEMPORARY;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkkge.jobs.PipelineException;

/**
 * The output directory protocol (docs/outputs.md), on any Hadoop FileSystem.
 *
 * <ul>
 *   <li>The first stage (ingest) creates the directory with {@link #commitNewDirectory}: everything
 *       is written under a hidden sibling {@code .NAME.tmp-UUID}, renamed to DIR, and DIR/_SUCCESS
 *       is written last. A crash leaves either no DIR or a DIR without _SUCCESS.
 *   <li>Later stages add datasets with {@link #addDatasets}: written under
 *       DIR/_temporary/STAGE-UUID, renamed into place, then DIR/_stages/STAGE.json is written. A
 *       dataset counts as complete only when its stage marker exists ({@link #isStageComplete}).
 *   <li>Every commit also rewrites DIR/manifest.json (versions, masked configuration, timings of
 *       each stage) and DIR/config.conf (the masked effective configuration of the latest stage).
 * </ul>
 *
 * <p>On an object store ({@link HadoopPaths#isObjectStore}: S3, GCS, Azure Blob) a rename copies
 * every object, is not atomic, and a copy killed half way looks like a dataset. There both kinds of
 * commit write in place instead: the datasets go straight to their final paths, each committed by
 * Spark's output committer (the S3A committers write a dataset's files and its _SUCCESS only at job
 * commit, docs/deploy.md), and the markers are written last as before: the stage marker (and, for
 * the first stage, DIR/_SUCCESS) is what says a dataset is complete, and it is deleted before any
 * of the stage's datasets is touched.
 */
public final class OutputDirectory {

  private final FileSystem fs;
  private final Path path;
  private final boolean inPlace;

  private OutputDirectory(FileSystem fs, Path path) {
    this.fs = fs;
    this.path = path;
    this.inPlace = HadoopPaths.isObjectStore(path);
  }

  /** True when commits write in place (an object store) rather than rename a staging directory. */
  public boolean commitsInPlace() {
    return inPlace;
  }

  public static OutputDirectory at(String location, Configuration hadoopConf) throws IOException {
    Path qualified = HadoopPaths.qualify(location, hadoopConf);
    if (qualified.getParent() == null) {
      throw new PipelineException("the output directory cannot be a file system root: " + location);
    }
    return new OutputDirectory(qualified.getFileSystem(hadoopConf), qualified);
  }

  public Path path() {
    return path;
  }

  public FileSystem fileSystem() {
    return fs;
  }

  /** DIR/relative, e.g. resolve(Layout.TRAIN_TRIPLES). */
  public Path resolve(String relative) {
    return new Path(path, relative);
  }

  public boolean exists() throws IOException {
    return fs.exists(path);
  }

  public boolean existsNonEmpty() throws IOException {
    if (!fs.exists(path)) {
      return false;
    }
    FileStatus status = fs.getFileStatus(path);
    return !status.isDirectory() || fs.listStatus(path).length > 0;
  }

  /** True when the first stage committed the directory (DIR/_SUCCESS exists). */
  public boolean isCommitted() throws IOException {
    return fs.exists(resolve(SUCCESS));
  }

  /** True when the directory is committed and the stage's marker DIR/_stages/STAGE.json exists. */
  public boolean isStageComplete(String stage) throws IOException {
    return isCommitted() && fs.exists(stageMarkerPath(stage));
  }

  public Optional<JsonNode> readStageMarker(String stage) throws IOException {
    Path marker = stageMarkerPath(stage);
    if (!fs.exists(marker)) {
      return Optional.empty();
    }
    try (InputStream in = fs.open(marker)) {
      return Optional.of(Json.mapper().readTree(in));
    }
  }

  public Path stageMarkerPath(String stage) {
    return resolve(Layout.stageMarker(stage));
  }

  /** Fails unless the directory may be (re)created: absent, empty, or overwrite requested. */
  public void checkWritable(boolean overwrite) throws IOException {
    if (!overwrite && existsNonEmpty()) {
      throw new PipelineException(
          "output directory "
              + HadoopPaths.display(path)
              + " already exists and is not empty (use --overwrite to replace it)");
    }
  }

  /**
   * Creates DIR from scratch: the writer fills a temporary sibling directory, which then replaces
   * DIR (an existing DIR only with overwrite) by a rename; DIR/_SUCCESS is written last.
   */
  public StageMarker commitNewDirectory(
      String stage, Instant started, RunInfo run, boolean overwrite, StagingWriter writer)
      throws Exception {
    checkWritable(overwrite);
    if (inPlace) {
      return commitNewDirectoryInPlace(stage, started, run, writer);
    }
    Path temporary = new Path(path.getParent(), "." + path.getName() + ".tmp-" + UUID.randomUUID());
    if (!fs.mkdirs(temporary)) {
      throw new IOException("cannot create " + temporary);
    }
    try {
      StageMarker marker = writeMarkers(temporary, stage, started, run, writer.write(temporary));

      // Checked again: another run may have written DIR meanwhile.
      checkWritable(overwrite);
      if (fs.exists(path) && !fs.delete(path, true)) {
        throw new IOException("cannot delete the previous output " + path);
      }
      if (!fs.rename(temporary, path)) {
        throw new IOException("cannot rename " + temporary + " to " + path);
      }
      fs.create(resolve(SUCCESS), false).close();
      return marker;
    } catch (Exception | Error e) {
      deleteQuietly(temporary);
      throw e;
    }
  }

  /** The object-store form: DIR emptied, written in place, DIR/_SUCCESS last. */
  private StageMarker commitNewDirectoryInPlace(
      String stage, Instant started, RunInfo run, StagingWriter writer) throws Exception {
    if (fs.exists(path) && !fs.delete(path, true)) {
      throw new IOException("cannot delete the previous output " + path);
    }
    if (!fs.mkdirs(path)) {
      throw new IOException("cannot create " + path);
    }
    StageMarker marker = writeMarkers(path, stage, started, run, writer.write(path));
    fs.create(resolve(SUCCESS), false).close();
    return marker;
  }

  /**
   * Adds (or replaces) datasets of a later stage in a committed DIR. The writer must create each of
   * {@code datasets} (relative paths such as "core/entities") under its staging directory; they are
   * renamed into place, then the stage marker and manifest are written. {@code stale}: datasets an
   * earlier run of the stage wrote that this one does not, deleted with the previous datasets.
   */
  public StageMarker addDatasets(
      String stage,
      Instant started,
      RunInfo run,
      List<String> datasets,
      List<String> stale,
      StagingWriter writer)
      throws Exception {
    List<String> previous = new ArrayList<>(datasets);
    previous.addAll(stale);
    if (!isCommitted()) {
      throw new PipelineException(
          "output directory "
              + HadoopPaths.display(path)
              + " holds no completed ingest (no "
              + SUCCESS
              + "); run ingest into it first");
    }
    if (inPlace) {
      return addDatasetsInPlace(stage, started, run, datasets, previous, writer);
    }
    Path staging = new Path(resolve(TEMPORARY), stage + "-" + UUID.randomUUID());
    if (!fs.mkdirs(staging)) {
      throw new IOException("cannot create " + staging);
    }
    try {
      Map<String, Object> counts = writer.write(staging);
      checkWritten(staging, stage, datasets);
      // From here on the stage no longer counts as complete until its new marker exists.
      deletePrevious(stage, previous);
      for (String dataset : datasets) {
        Path target = resolve(dataset);
        fs.mkdirs(target.getParent());
        if (!fs.rename(new Path(staging, dataset), target)) {
          throw new IOException("cannot rename " + new Path(staging, dataset) + " to " + target);
        }
      }
      return writeMarkers(path, stage, started, run, counts);
    } finally {
      deleteQuietly(staging);
      Path temporaryRoot = resolve(TEMPORARY);
      if (fs.exists(temporaryRoot) && fs.listStatus(temporaryRoot).length == 0) {
        fs.delete(temporaryRoot, false);
      }
    }
  }

  /**
   * The object-store form: the stage's marker and previous datasets deleted first, the datasets
   * written at their final paths, then the marker.
   */
  private StageMarker addDatasetsInPlace(
      String stage,
      Instant started,
      RunInfo run,
      List<String> datasets,
      List<String> previous,
      StagingWriter writer)
      throws Exception {
    deletePrevious(stage, previous);
    Map<String, Object> counts = writer.write(path);
    checkWritten(path, stage, datasets);
    return writeMarkers(path, stage, started, run, counts);
  }

  /**
   * The stage's marker, then its previous datasets: the stage is incomplete from the first step.
   */
  private void deletePrevious(String stage, List<String> datasets) throws IOException {
    fs.delete(stageMarkerPath(stage), false);
    for (String dataset : datasets) {
      Path target = resolve(dataset);
      if (fs.exists(target) && !fs.delete(target, true)) {
        throw new IOException("cannot delete the previous " + target);
      }
    }
  }

  private void checkWritten(Path root, String stage, List<String> datasets) throws IOException {
    for (String dataset : datasets) {
      if (!fs.exists(new Path(root, dataset))) {
        throw new IOException("stage " + stage + " did not write its dataset " + dataset);
      }
    }
  }

  /** The stage marker, manifest.json and config.conf under {@code root}: the commit's last step. */
  private StageMarker writeMarkers(
      Path root, String stage, Instant started, RunInfo run, Map<String, Object> counts)
      throws IOException {
    StageMarker marker = new StageMarker(stage, started, Instant.now(), counts);
    writeJson(new Path(root, Layout.stageMarker(stage)), marker.toJsonMap());
    writeManifest(root, run, marker);
    writeText(new Path(root, CONFIG), run.maskedHocon());
    return marker;
  }

  private void writeManifest(Path root, RunInfo run, StageMarker marker) throws IOException {
    Path manifestPath = new Path(root, MANIFEST);
    ObjectNode manifest;
    if (fs.exists(manifestPath)) {
      try (InputStream in = fs.open(manifestPath)) {
        manifest = (ObjectNode) Json.mapper().readTree(in);
      }
    } else {
      manifest = Json.mapper().createObjectNode();
    }
    manifest.put("spark_kge_version", run.build().version());
    manifest.put("git_revision", run.build().gitRevision());
    manifest.put("spark_version", run.sparkVersion());
    manifest.put("java_version", run.javaVersion());
    manifest.put("updated", marker.finished().toString());
    manifest.set("configuration", Json.mapper().readTree(run.maskedJson()));
    ObjectNode stages =
        manifest.has("stages")
            ? (ObjectNode) manifest.get("stages")
            : Json.mapper().createObjectNode();
    stages.set(marker.stage(), Json.mapper().valueToTree(marker.toJsonMap()));
    manifest.set("stages", stages);
    writeJson(manifestPath, manifest);
  }

  /** Writes a small file through a temporary name and a rename, so readers never see half of it. */
  private void writeText(Path target, String text) throws IOException {
    Path temporary =
        new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    fs.mkdirs(target.getParent());
    try (OutputStream out = fs.create(temporary, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    if (fs.exists(target)) {
      fs.delete(target, false);
    }
    if (!fs.rename(temporary, target)) {
      throw new IOException("cannot rename " + temporary + " to " + target);
    }
  }

  private void writeJson(Path target, Object value) throws IOException {
    writeText(target, Json.mapper().writeValueAsString(value) + "\n");
  }

  private void deleteQuietly(Path p) {
    try {
      fs.delete(p, true);
    } catch (IOException ignored) {
      // Best effort: a leftover hidden temporary directory never looks like a completed output.
    }
  }
}
