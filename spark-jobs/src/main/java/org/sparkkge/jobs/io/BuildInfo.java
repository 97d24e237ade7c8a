package org.sparkkge.jobs.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Versions baked in at build time (build-info.properties, filtered by Maven). */
public record BuildInfo(String version, String builtAgainstSpark, String gitRevision) {
  private static final String RESOURCE = "org/sparkkge/jobs/build-info.properties";

  public static BuildInfo load() {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new BuildInfo(
        clean(properties.getProperty("spark-kge.version")),
        clean(properties.getProperty("spark.version")),
        clean(properties.getProperty("git.revision")));
  }

  /** An unfiltered "${...}" placeholder or a missing value becomes "unknown". */
  private static String clean(String value) {
    if (value == null || value.isBlank() || value.contains("${")) {
      return "unknown";
    }
    return value.trim();
  }
}
