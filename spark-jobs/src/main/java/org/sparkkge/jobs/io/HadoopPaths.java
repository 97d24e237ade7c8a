package org.sparkkge.jobs.io;

import java.io.IOException;
import java.io.UncheckedIOException;
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
