package org.sparkkge.jobs.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Path helpers shared by the stages. */
public final class HadoopPaths {
  private HadoopPaths() {}

  /**
   * Qualifies a user-given location. Without a scheme it belongs to the default file system;
   * locally Hadoop resolves a relative path against the JVM's working directory.
   */
  public static Path qualify(String location, Configuration conf) {
    Path path = new Path(location);
    try {
      FileSystem fs = path.getFileSystem(conf);
      return fs.makeQualified(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + location, e);
    }
  }

  /** Schemes of object stores: a rename there copies every object and is not atomic. */
  private static final Set<String> OBJECT_STORES =
      Set.of(
          "s3a", "s3", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs", "oss", "cos", "cosn", "obs");

  /**
   * True for a path on an object store (S3, GCS, Azure Blob, ...), where datasets are written in
   * place through the store's committer instead of renamed into place.
   */
  public static boolean isObjectStore(Path path) {
    String scheme = path.toUri().getScheme();
    return scheme != null && OBJECT_STORES.contains(scheme.toLowerCase(Locale.ROOT));
  }

  /** How a path appears in messages: a plain absolute path for local files, the URI otherwise. */
  public static String display(Path path) {
    return display(path.toUri().toString());
  }

  public static String display(String uri) {
    if (uri.startsWith("file:")) {
      return new Path(uri).toUri().getPath();
    }
    return uri;
  }
}
